"""The parameter sets of `ndg sweep`: a grid from `--set`, random samples from `--random`, or the
rows of a file (`--params`)."""

from __future__ import annotations

import csv
import itertools
import json
import math
from pathlib import Path
from typing import Any

from ndg.errors import UserError
from ndg.parameters import parse_assignment

RANGE_TOLERANCE = 1e-9  # of a step: 0..1:0.1 ends at 1 despite the float sum falling short


def grid(assignments: tuple[str, ...], plan) -> list[dict[str, Any]]:
    """The product of every `--set` axis, e.g. `length=1..3:0.5`, `grow=true,false`, `up=0,1,0;1,0,0`."""
    axes = []
    for text in assignments:
        name, sep, spec = text.partition("=")
        name = name.strip()
        if not sep or not name:
            raise UserError(f"--set {text}: expected NAME=VALUES",
                            "for example --set length=1..3:0.5 or --set grow=true,false")
        if _param(plan, name) is None:
            known = ", ".join(f"`{p.name}`" for p in plan.params) or "none"
            raise UserError(f"--set {text}: the graph has no parameter `{name}`", f"its parameters are: {known}")
        axes.append([(name, value) for value in _axis(text, name, spec.strip(), plan)])
    return [dict(point) for point in itertools.product(*axes)]


def _param(plan, name: str):
    return next((p for p in plan.params if p.name == name), None)


def _axis(text: str, name: str, spec: str, plan) -> list[Any]:
    param = _param(plan, name)
    if ".." in spec:
        return _range(text, name, spec, param.type)
    # A vec3 is itself written with commas, so vectors are separated by semicolons.
    separator = ";" if param.type == "vec3" else ","
    return [parse_assignment(f"{name}={value}", plan)[1] for value in spec.split(separator)]


def _range(text: str, name: str, spec: str, type_: str) -> list[Any]:
    bounds, _, step_text = spec.partition(":")
    first_text, _, last_text = bounds.partition("..")
    number = int if type_ == "integer" else float
    if type_ not in ("integer", "float"):
        raise UserError(f"--set {text}: `{name}` is a {type_} parameter, which has no ranges",
                        f"list its values instead, e.g. --set {name}=true,false")
    try:
        first, last = number(first_text), number(last_text)
        step = number(step_text) if step_text else (1 if type_ == "integer" else None)
    except ValueError:
        raise UserError(f"--set {text}: `{spec}` is not a range of {type_}s",
                        f"write it like --set {name}=1..3:{'1' if type_ == 'integer' else '0.5'}") from None
    if step is None:
        raise UserError(f"--set {text}: a float range needs a step", f"for example --set {name}={first}..{last}:0.5")
    if step <= 0 or last < first:
        raise UserError(f"--set {text}: a range goes up from its first value to its last by a positive step",
                        f"for example --set {name}={min(first, last)}..{max(first, last)}:{abs(step) or 1}")
    count = math.floor((last - first) / step + RANGE_TOLERANCE) + 1
    if type_ == "integer":
        return [first + i * step for i in range(count)]
    return [round(first + i * step, 12) for i in range(count)]


def sample(plan, count: int, sampling_seed: int, fixed: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`count` sets per grid point, every parameter with a declared range (and every boolean) not
    fixed by `--set` drawn uniformly; the same seed gives the same sets."""
    import numpy as np

    generator = np.random.default_rng(sampling_seed)
    given = set(fixed[0]) if fixed else set()
    drawn = [p for p in plan.params if p.name not in given and
             (p.type == "boolean" or (p.type in ("integer", "float") and p.min is not None and p.max is not None))]
    if not drawn:
        raise UserError("--random: no parameter to draw: none left has a declared range",
                        "declare ranges in the graph, e.g. `param length: float = 2 in 0.5..8`")
    sets = []
    for point in fixed or [{}]:
        for _ in range(count):
            sets.append({**point, **{p.name: _draw(generator, p) for p in drawn}})
    return sets


def _draw(generator, param) -> Any:
    if param.type == "boolean":
        return bool(generator.integers(0, 2))
    if param.type == "integer":
        return int(generator.integers(param.min, param.max, endpoint=True))
    return float(generator.uniform(param.min, param.max))


def read_file(path: Path) -> list[dict[str, Any]]:
    """One set per row of a CSV (with a header), JSON Lines or Parquet file. An empty cell (or a
    null) leaves its parameter out of that set, so it keeps its default, as a missing key does."""
    return [{name: value for name, value in row.items() if value is not None and value != ""}
            for row in _rows(path)]


def _rows(path: Path) -> list[dict[str, Any]]:
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            with open(path, newline="", encoding="utf-8") as source:
                return [dict(row) for row in csv.DictReader(source)]
        if suffix in (".jsonl", ".ndjson"):
            return [_json_row(path, number, line) for number, line in
                    enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line.strip()]
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return pq.read_table(path).to_pylist()
    except OSError as error:
        raise UserError(f"cannot read {path}: {error.strerror}") from None
    except (UnicodeDecodeError, csv.Error) as error:
        raise UserError(f"cannot read {path}: {error}", "give a UTF-8 CSV file with a header row") from None
    except Exception as error:  # pyarrow's errors for a file that is not Parquet
        if suffix == ".parquet":
            raise UserError(f"cannot read {path}: {error}", "give a Parquet file written by pandas or pyarrow") from None
        raise
    raise UserError(f"--params {path}: unknown kind of file `{suffix}`", "give a .csv, .jsonl or .parquet file")


def _json_row(path: Path, number: int, line: str) -> dict[str, Any]:
    try:
        row = json.loads(line)
    except json.JSONDecodeError as error:
        raise UserError(f"{path}:{number}: not JSON: {error.msg}", "write one JSON object per line") from None
    if not isinstance(row, dict):
        raise UserError(f"{path}:{number}: a parameter set is a JSON object", 'for example {"length": 2.5}')
    return row

