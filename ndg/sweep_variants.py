"""What a sweep does per variant, wherever it runs (in the sweeping process or on a Dask worker):
run it, write its files, and describe it in a manifest row. Rows leave as Arrow blocks, one per
chunk of variants, so that the process collecting them handles a chunk, not a variant, at a time."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ndg.errors import UserError
from ndg.parameters import as_text, parse_values
from ndg.program import Program

PARAMETER_COLUMN = "param.{}"  # parameter columns are prefixed: a parameter may be called `index`
COUNT_COLUMNS = ("items", "paths", "vertices", "triangles", "instances")
BOUNDS_COLUMNS = ("min_x", "min_y", "min_z", "max_x", "max_y", "max_z")
PARAMETER_KINDS = {"float": "float64", "integer": "int64", "select": "int64", "seed": "int64", "boolean": "bool_",
                   "vec3": "string"}  # pyarrow type constructors by parameter type; vectors as text "0,1,0"


@dataclass(frozen=True)
class Variant:
    index: int
    parameters: Mapping[str, Any]


def manifest_schema(plan):
    """The manifest's columns for `plan`: index, one per parameter, files, counts, bounds, times, worker, error."""
    import pyarrow as pa

    return pa.schema(
        [("index", pa.int64())]
        + [(PARAMETER_COLUMN.format(p.name), getattr(pa, PARAMETER_KINDS[p.type])()) for p in plan.params]
        + [("files", pa.string())] + [(c, pa.int64()) for c in COUNT_COLUMNS]
        + [(c, pa.float64()) for c in BOUNDS_COLUMNS]
        + [("run_seconds", pa.float64()), ("write_seconds", pa.float64()), ("worker", pa.string()),
           ("error", pa.string())])


def run_block(program: Program, variants: list[Variant], patterns: list[str], folder: Path, worker: str, schema):
    """Run `variants` one after another; their manifest rows as one pyarrow RecordBatch."""
    import pyarrow as pa

    defaults = {name: parameter.default for name, parameter in program.parameters.items()}
    rows = [run_variant(program, v, patterns, folder, worker, defaults) for v in variants]
    return pa.RecordBatch.from_pylist(rows, schema=schema)


def run_variant(program: Program, variant: Variant, patterns: list[str], folder: Path, worker: str,
                defaults: Mapping[str, Any]) -> dict[str, Any]:
    """Run one variant and write its files; its manifest row, with the error when it failed."""
    row: dict[str, Any] = {"index": variant.index, "files": "[]", "run_seconds": 0.0, "write_seconds": 0.0,
                           "worker": worker, "error": None}
    started = time.perf_counter()
    try:
        values = parse_values(variant.parameters, program.plan)
        row.update(parameter_columns({**defaults, **values}))
        result = program.run(**values)
        row.update(_result_columns(result))
        row["run_seconds"] = time.perf_counter() - started
        started = time.perf_counter()
        files = [_write(result, output_path(p, variant), folder) for p in patterns]
        # Freed here, inside the timed write: a plant's result holds tens of MB of decoded arrays,
        # and giving them back to the system is part of the variant's cost.
        del result
        row["files"] = json.dumps(files)
        row["write_seconds"] = time.perf_counter() - started
    except UserError as error:
        row["error"] = error.message
    except Exception as error:  # a bug in ndg: recorded on its variant, the sweep goes on
        row["error"] = f"internal error (a bug in ndg; please report it): {type(error).__name__}: {error}"
    return row


def output_path(pattern: str, variant: Variant) -> str:
    """`pattern` with `{index}` and `{parameter}` fields filled in, e.g. "out/plant-{index:04d}.glb"."""
    try:
        return pattern.format(index=variant.index, **variant.parameters)
    except KeyError as error:
        raise UserError(f"the output pattern {pattern!r} uses {{{error.args[0]}}}, which variant {variant.index} does not give",
                        "use {index} or the name of a parameter every set gives") from None
    except (ValueError, IndexError, TypeError) as error:
        raise UserError(f"the output pattern {pattern!r} cannot name variant {variant.index}: {error}",
                        "for example \"out/plant-{index:04d}.glb\"") from None


def parameter_columns(values: Mapping[str, Any]) -> dict[str, Any]:
    # Vectors as text ("0,1,0"): one column per parameter in every manifest format.
    return {PARAMETER_COLUMN.format(name): as_text(value) if isinstance(value, tuple) else value
            for name, value in values.items()}


def _result_columns(result) -> dict[str, Any]:
    counts = result.shapes.counts()
    bounds = result.shapes.bounds()
    columns = {"items": counts["geometry_items"], "paths": counts["paths"], "vertices": counts["vertices"],
               "triangles": counts["triangles"], "instances": counts["instances"]}
    corners = [float("nan")] * 6 if bounds is None else [float(v) for v in bounds.reshape(-1)]
    return {**columns, **dict(zip(BOUNDS_COLUMNS, corners))}


def _write(result, name: str, folder: Path) -> dict[str, Any]:
    from ndg.outputs import write_output

    data = file_bytes(result, name)
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    write_output(path, data)
    return {"path": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def file_bytes(result, name: str) -> bytes:
    """The bytes `ndg run -o NAME` (or `--png NAME`) writes for this result."""
    from ndg.export import output_format
    from ndg.render import PICTURE_FORMATS, picture_bytes

    if Path(name).suffix.lower() in PICTURE_FORMATS:
        return picture_bytes([result.render()], name)
    return result.encode(output_format(name))[0]
