"""Run one program over many parameter sets, in this process or on a Dask cluster, writing each
variant's files and a manifest with one row per variant.

    import ndg
    program = ndg.compile("examples/plant.ndg")
    table = ndg.sweep(program, [{"length": x} for x in (2, 4, 6)], ["out/plant-{index:03d}.glb"])

`client=None` runs every variant here, one after another, on `program`'s loaded plan; a
`dask.distributed.Client` runs them on its workers: the plan is sent once to each worker and loaded
there once, and each task runs a chunk of variants. The manifest comes back as a pyarrow Table
(`.to_pandas()` for a DataFrame) and, given a `manifest` path, is kept on disk while the sweep runs
(Parquet, or CSV by its extension): a later sweep with the same manifest skips every variant whose
row has no error and whose files are still there with the recorded size and SHA-256.
"""

from __future__ import annotations

import hashlib
import json
import os
import string
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ndg.errors import UserError
from ndg.parameters import as_text, parse_values
from ndg.program import Program

PARAMETER_COLUMN = "param.{}"  # parameter columns are prefixed: a parameter may be called `index`
COUNT_COLUMNS = ("items", "paths", "vertices", "triangles", "instances")
BOUNDS_COLUMNS = ("min_x", "min_y", "min_z", "max_x", "max_y", "max_z")
MANIFEST_SECONDS = 1.0  # the manifest on disk is at most this far behind while a sweep runs
TASKS_PER_WORKER = 4  # chunks per worker thread: small enough to balance, large enough to amortise


@dataclass(frozen=True)
class ShippedPlan:
    """What travels to each worker once: the plan, its module, and a token naming this sweep's plan."""
    plan: Any
    module: bytes
    token: str


@dataclass(frozen=True)
class Variant:
    index: int
    parameters: Mapping[str, Any]


@dataclass
class Progress:
    """What a sweep did, for the summary line."""
    total: int = 0
    skipped: int = 0
    ran: int = 0
    failed: int = 0
    failures: list[tuple[int, str]] = field(default_factory=list)


def sweep(program: Program, parameter_sets: Iterable[Mapping[str, Any]], outputs: Iterable[str | os.PathLike],
          client=None, manifest: str | os.PathLike | None = None, progress: Progress | None = None,
          advance: Callable[[], None] = lambda: None):
    """Run `program` once per parameter set and write each variant's `outputs` (patterns with
    `{index}` and parameter names as format fields; the extension picks the format, .png included).
    A parameter a set leaves out has its default. Returns the manifest as a pyarrow Table, one row
    per variant in index order; a failed variant has its message in `error` and the others go on."""
    variants = [Variant(index, dict(values)) for index, values in enumerate(parameter_sets)]
    patterns = check_patterns([os.fspath(p) for p in outputs], variants)
    progress = progress if progress is not None else Progress()
    progress.total = len(variants)
    book = Manifest(program.plan, Path(manifest) if manifest else None)
    todo = [v for v in variants if not book.is_complete(v, patterns)]
    progress.skipped = len(variants) - len(todo)

    def record(row: dict[str, Any]) -> None:
        book.add(row)
        progress.ran += 1
        if row["error"]:
            progress.failed += 1
            progress.failures.append((row["index"], row["error"]))
        advance()

    try:
        if client is None:
            _run_here(program, todo, patterns, record)
        else:
            _run_on_dask(client, program, todo, patterns, record)
    finally:
        book.write()
    return book.table([v.index for v in variants])


def check_patterns(patterns: list[str], variants: list[Variant]) -> list[str]:
    """Refuse, before anything runs, patterns that would not give each variant its own files."""
    from ndg.export import FORMATS, output_format
    from ndg.render import PICTURE_FORMATS

    for pattern in patterns:
        output_format(pattern, formats=FORMATS + PICTURE_FORMATS)
        if not {f for _, f, _, _ in string.Formatter().parse(pattern) if f} and len(variants) > 1:
            raise UserError(f"every variant would write to the same file {pattern}",
                            "put {index} or a parameter name in the pattern, e.g. \"out/plant-{index:04d}.glb\"")
        for variant in variants:
            output_path(pattern, variant)
    return patterns


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


def _run_here(program: Program, variants: list[Variant], patterns: list[str],
              record: Callable[[dict[str, Any]], None]) -> None:
    defaults = _defaults(program)
    for variant in variants:
        record(run_variant(program, defaults, variant, patterns, Path.cwd(), "local"))


def _run_on_dask(client, program: Program, variants: list[Variant], patterns: list[str],
                 record: Callable[[dict[str, Any]], None]) -> None:
    from distributed import as_completed

    if not variants:
        return
    shipped = ShippedPlan(program.plan, program.module, uuid.uuid4().hex)
    # Broadcast: every worker holds the plan before the first task, so no task carries it.
    plan_future = client.scatter(shipped, broadcast=True, hash=False)
    threads = max(1, sum(client.nthreads().values()))
    size = max(1, min(256, len(variants) // (threads * TASKS_PER_WORKER)))
    chunks = [variants[start:start + size] for start in range(0, len(variants), size)]
    futures = [client.submit(run_chunk, plan_future, chunk, patterns, str(Path.cwd()), pure=False)
               for chunk in chunks]
    try:
        for future in as_completed(futures):
            for row in future.result():
                record(row)
    finally:
        client.cancel(futures)
        client.cancel([plan_future])


_loaded = threading.local()  # per worker thread: the program of the last plan it ran, and its defaults


def run_chunk(shipped: ShippedPlan, variants: list[Variant], patterns: list[str], folder: str) -> list[dict[str, Any]]:
    """A task on a worker: run `variants` on the plan, loaded once per worker thread."""
    from distributed import get_worker

    if getattr(_loaded, "token", None) != shipped.token:
        program = Program(shipped.plan, shipped.module)
        _loaded.program, _loaded.defaults, _loaded.token = program, _defaults(program), shipped.token
    worker = get_worker().address
    return [run_variant(_loaded.program, _loaded.defaults, v, patterns, Path(folder), worker) for v in variants]


def _defaults(program: Program) -> dict[str, Any]:
    from ndg.runtime.scalars import decode_scalar

    plan = program.plan
    return {p.name: decode_scalar(p.type, plan.values[p.value].words) for p in plan.params}


def run_variant(program: Program, defaults: Mapping[str, Any], variant: Variant, patterns: list[str],
                folder: Path, worker: str) -> dict[str, Any]:
    """Run one variant and write its files; its manifest row, with the error when it failed."""
    row: dict[str, Any] = {"index": variant.index, "files": "[]", "run_seconds": 0.0, "write_seconds": 0.0,
                           "worker": worker, "error": None}
    started = time.perf_counter()
    try:
        values = {**defaults, **parse_values(variant.parameters, program.plan)}
        row.update(_parameter_columns(values))
        for name, value in values.items():
            program.runner.set_param(name, value)
        result = program.run()
        row.update(_result_columns(result))
        row["run_seconds"] = time.perf_counter() - started
        started = time.perf_counter()
        files = [_write(result, output_path(p, variant), folder) for p in patterns]
        row["files"] = json.dumps(files)
        row["write_seconds"] = time.perf_counter() - started
    except UserError as error:
        row["error"] = error.message
    except Exception as error:  # a bug in ndg: recorded on its variant, the sweep goes on
        row["error"] = f"internal error (a bug in ndg; please report it): {type(error).__name__}: {error}"
    return row


def _parameter_columns(values: Mapping[str, Any]) -> dict[str, Any]:
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
    from ndg.export import WORD_FORMATS, encode, output_format
    from ndg.render import PICTURE_FORMATS, picture_bytes

    suffix = Path(name).suffix.lower()
    if suffix in PICTURE_FORMATS:
        return picture_bytes([result.render()], name)
    suffix = output_format(name)
    shapes = None if suffix in WORD_FORMATS else result.shapes
    return encode(result.words, suffix, result.names, "extension", shapes)[0]


class Manifest:
    """The rows so far, by index; kept on disk (when given a path) by whole-file replacement."""

    def __init__(self, plan, path: Path | None):
        self.plan = plan
        self.path = path
        self.rows: dict[int, dict[str, Any]] = {}
        self.written_at = time.monotonic()
        if path is not None:
            from ndg.outputs import check_output

            self.path_format = _manifest_format(path)
            check_output(path)  # before anything runs
            if path.exists():
                self.rows = {row["index"]: row for row in _read_manifest(path, self.path_format)}

    def is_complete(self, variant: Variant, patterns: list[str]) -> bool:
        """Whether the recorded row is this variant, succeeded, and every file is still as written."""
        row = self.rows.get(variant.index)
        if row is None or row.get("error"):
            return False
        try:
            values = parse_values(variant.parameters, self.plan)
        except UserError:
            return False
        if any(row.get(key) != value for key, value in _parameter_columns(values).items()):
            return False
        files = json.loads(row["files"])
        if [f["path"] for f in files] != [output_path(p, variant) for p in patterns]:
            return False
        return all(_file_matches(Path(f["path"]), f["bytes"], f["sha256"]) for f in files)

    def add(self, row: dict[str, Any]) -> None:
        self.rows[row["index"]] = row
        if time.monotonic() - self.written_at > MANIFEST_SECONDS:
            self.write()

    def write(self) -> None:
        if self.path is None:
            return
        from ndg.outputs import write_output

        write_output(self.path, _encode_manifest(self.table(sorted(self.rows)), self.path_format))
        self.written_at = time.monotonic()

    def table(self, indices: list[int]):
        import pyarrow as pa

        names = [PARAMETER_COLUMN.format(p.name) for p in self.plan.params]
        kinds = {"float": pa.float64(), "integer": pa.int64(), "boolean": pa.bool_(), "vec3": pa.string()}
        schema = pa.schema(
            [("index", pa.int64())] + [(n, kinds.get(p.type, pa.string())) for n, p in zip(names, self.plan.params)]
            + [("files", pa.string())] + [(c, pa.int64()) for c in COUNT_COLUMNS]
            + [(c, pa.float64()) for c in BOUNDS_COLUMNS]
            + [("run_seconds", pa.float64()), ("write_seconds", pa.float64()), ("worker", pa.string()),
               ("error", pa.string())])
        rows = [self.rows[i] for i in indices if i in self.rows]
        return pa.Table.from_pylist([{c: row.get(c) for c in schema.names} for row in rows], schema=schema)


def _file_matches(path: Path, size: int, sha256: str) -> bool:
    try:
        if path.stat().st_size != size:
            return False
        return hashlib.sha256(path.read_bytes()).hexdigest() == sha256
    except OSError:
        return False


def _manifest_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in (".parquet", ".csv"):
        raise UserError(f"cannot write the manifest {path}: unknown kind `{suffix}`", "name it .parquet or .csv")
    return suffix


def _encode_manifest(table, suffix: str) -> bytes:
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    if suffix == ".csv":
        import pyarrow.csv as pacsv

        pacsv.write_csv(table, sink)
    else:
        import pyarrow.parquet as pq

        pq.write_table(table, sink)
    return sink.getvalue().to_pybytes()


def _read_manifest(path: Path, suffix: str) -> list[dict[str, Any]]:
    try:
        if suffix == ".csv":
            import pyarrow.csv as pacsv

            table = pacsv.read_csv(path)
        else:
            import pyarrow.parquet as pq

            table = pq.read_table(path)
        return table.to_pylist()
    except Exception as error:  # pyarrow's errors for a damaged file
        raise UserError(f"cannot read the manifest {path} to resume from it: {error}",
                        "delete it (every variant is then run again) or give another --manifest") from None
