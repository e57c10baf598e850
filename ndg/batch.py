"""Run one program over many parameter sets, one output file per run, reusing the loaded plan."""

from __future__ import annotations

import os
import string
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ndg.errors import UserError
from ndg.program import Program
from ndg.progress import Stages


def output_path(pattern: str, index: int, parameters: Mapping[str, Any]) -> Path:
    """`pattern` with `{index}` and `{parameter}` fields filled in, e.g. "out/plant-{seed:04d}.glb"."""
    try:
        return Path(pattern.format(index=index, **parameters))
    except KeyError as error:
        raise UserError(f"the output pattern {pattern!r} uses {{{error.args[0]}}}, which run {index} does not give",
                        "use {index} or the name of a parameter every run sets") from None
    except (ValueError, IndexError) as error:
        raise UserError(f"the output pattern {pattern!r} is not a valid format string: {error}",
                        "for example \"out/plant-{index:04d}.glb\"") from None


def run_batch(program: Program, runs: Iterable[Mapping[str, Any]], pattern: str | os.PathLike,
              quiet: bool = False) -> list[Path]:
    """Run `program` once per parameter set in `runs` and save each result to `pattern` filled in for
    that run (its extension picks the format). Parameters keep their value until a later set
    changes them. Returns the files written, in order."""
    runs = list(runs)
    pattern = str(pattern)
    if not {field for _, field, _, _ in string.Formatter().parse(pattern) if field} and len(runs) > 1:
        raise UserError(f"every run would write to the same file {pattern}",
                        "put {index} or a parameter name in the pattern, e.g. \"out/plant-{index:04d}.glb\"")
    written: list[Path] = []
    stages = Stages(quiet)
    with stages.bar(f"running {program.plan.source}", len(runs)) as advance:
        for index, parameters in enumerate(runs):
            path = output_path(pattern, index, parameters)
            path.parent.mkdir(parents=True, exist_ok=True)
            program.run(**parameters).save(path)
            written.append(path)
            advance()
    return written
