"""A sweep's manifest: one row per variant, gathered as Arrow blocks and kept on disk (when given a
path) by whole-file replacement while the sweep runs; read back to resume a sweep."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from ndg.errors import UserError
from ndg.parameters import parse_values
from ndg.sweep_variants import Variant, manifest_schema, output_path, parameter_columns

MANIFEST_SECONDS = 1.0  # the manifest on disk is at most this far behind while a sweep runs …
WRITING_SHARE = 0.05  # … or longer, so that rewriting a large manifest takes at most this share of the time


class Manifest:
    """The rows so far; a later block's row for an index replaces an earlier one."""

    def __init__(self, plan, path: Path | None):
        import pyarrow as pa

        self.plan = plan
        self.path = path
        self.schema = manifest_schema(plan)
        self.recorded: dict[int, dict[str, Any]] = {}  # from an earlier sweep, to resume it
        self.blocks: list = []
        self.written_at = time.monotonic()
        self.writing_seconds = 0.0
        if path is not None:
            from ndg.outputs import check_output

            self.path_format = _manifest_format(path)
            check_output(path)  # before anything runs
            if path.exists():
                rows = _read_manifest(path, self.path_format)
                self.recorded = {row["index"]: row for row in rows}
                self.blocks.append(pa.Table.from_pylist(rows, schema=self.schema))

    def is_complete(self, variant: Variant, patterns: list[str]) -> bool:
        """Whether the recorded row is this variant, succeeded, and every file is still as written."""
        row = self.recorded.get(variant.index)
        if row is None or row.get("error"):
            return False
        try:
            values = parse_values(variant.parameters, self.plan)
        except UserError:
            return False
        if any(row.get(key) != value for key, value in parameter_columns(values).items()):
            return False
        files = json.loads(row["files"])
        if [f["path"] for f in files] != [output_path(p, variant) for p in patterns]:
            return False
        return all(_file_matches(Path(f["path"]), f["bytes"], f["sha256"]) for f in files)

    def add(self, block) -> None:
        """Add a RecordBatch of rows; rewrite the file when it is due."""
        import pyarrow as pa

        self.blocks.append(pa.Table.from_batches([block]))
        due = max(MANIFEST_SECONDS, self.writing_seconds / WRITING_SHARE)
        if time.monotonic() - self.written_at > due:
            self.write()

    def write(self) -> None:
        if self.path is None:
            return
        from ndg.outputs import write_output

        started = time.monotonic()
        write_output(self.path, _encode_manifest(self.all_rows(), self.path_format))
        self.written_at = time.monotonic()
        self.writing_seconds = self.written_at - started

    def all_rows(self):
        """Every row, the latest for each index, in index order, as a pyarrow Table (kept as the
        only block, so the next call concatenates only what came since)."""
        import numpy as np
        import pyarrow as pa

        table = pa.concat_tables(self.blocks) if self.blocks else self.schema.empty_table()
        indices = table["index"].to_numpy()
        # np.unique on the reversed indices finds each index's last row; its result is sorted.
        _, last_reversed = np.unique(indices[::-1], return_index=True)
        table = table.take(pa.array(len(indices) - 1 - last_reversed))
        self.blocks = [table]
        return table

    def table(self, indices: list[int]):
        """The rows of `indices` (sorted), as a pyarrow Table."""
        import pyarrow as pa
        import pyarrow.compute as pc

        table = self.all_rows()
        return table.filter(pc.is_in(table["index"], value_set=pa.array(indices, pa.int64())))


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
