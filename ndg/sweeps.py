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

import os
import string
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ndg.errors import UserError
from ndg.program import Program
from ndg.sweep_manifest import Manifest
from ndg.sweep_variants import Variant, output_path, run_variant

PROGRESS_SECONDS = 0.25  # in this process, rows are recorded (and progress shown) this often


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
          advance: Callable[[int], None] = lambda done: None):
    """Run `program` once per parameter set and write each variant's `outputs` (patterns with
    `{index}` and parameter names as format fields; the extension picks the format, .png included).
    A parameter a set leaves out has its default. Returns the manifest as a pyarrow Table, one row
    per variant in index order; a failed variant has its message in `error` and the others go on.
    `advance(n)` is called as each n more variants are done."""
    variants = [Variant(index, dict(values)) for index, values in enumerate(parameter_sets)]
    patterns = check_patterns([os.fspath(p) for p in outputs], variants)
    progress = progress if progress is not None else Progress()
    progress.total = len(variants)
    book = Manifest(program.plan, Path(manifest) if manifest else None)
    todo = [v for v in variants if not book.is_complete(v, patterns)]
    progress.skipped = len(variants) - len(todo)

    def record(block) -> None:
        book.add(block)
        progress.ran += block.num_rows
        errors = block.column("error")
        if errors.null_count < block.num_rows:
            failed = [(i, e) for i, e in zip(block.column("index").to_pylist(), errors.to_pylist()) if e]
            progress.failed += len(failed)
            progress.failures += failed
        advance(block.num_rows)

    try:
        if client is None:
            _run_here(program, todo, patterns, book.schema, record)
        else:
            from ndg.sweep_dask import run_on_dask

            run_on_dask(client, program, todo, patterns, record)
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


def _run_here(program: Program, variants: list[Variant], patterns: list[str], schema,
              record: Callable[[Any], None]) -> None:
    """Run `variants` in this process; their rows are recorded a block at a time, and on the way out
    (Ctrl-C included) whatever finished is recorded too."""
    import pyarrow as pa

    defaults = {name: parameter.default for name, parameter in program.parameters.items()}
    folder = Path.cwd()
    rows: list[dict[str, Any]] = []
    recorded_at = time.monotonic()
    try:
        for variant in variants:
            rows.append(run_variant(program, variant, patterns, folder, "local", defaults))
            if time.monotonic() - recorded_at > PROGRESS_SECONDS:
                record(pa.RecordBatch.from_pylist(rows, schema=schema))
                rows, recorded_at = [], time.monotonic()
    finally:
        if rows:
            record(pa.RecordBatch.from_pylist(rows, schema=schema))
