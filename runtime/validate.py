"""Check a plan completely before any of it runs: it may come from anywhere."""

from __future__ import annotations

import bisect
import math

from ndg.errors import UserError
from ndg.runtime.scalars import SCALAR_WORDS, decode_scalar
from ndg.runtime.plan import (ABI_VERSION, ALIGN, CONTROL_BYTES, PAGE_BYTES, PLAN_VERSION, VALUE_ENTRY_BYTES, Plan,
                              Region, Value)

# No plan may ask for more than 1 GiB of memory (wasm32 itself would allow 4 GiB).
MAX_PAGES = 16384
TABLE_KINDS = ("static", "control", "values", "steps", "records", "constants", "params")
VALUE_TYPES = ("float", "integer", "select", "seed", "boolean", "vec3", "path", "geometry", "instances", "result")
I32_MIN, U32_MAX = -(2**31), 2**32 - 1


class PlanInvalid(UserError):
    def __init__(self, problem: str):
        super().__init__(f"the plan is invalid: {problem}",
                         "compile the graph again with `ndg compile`; a plan is not meant to be edited by hand")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _require(condition: bool, problem: str):
    if not condition:
        raise PlanInvalid(problem)


def _check_fields(plan: Plan):
    _require(plan.version == PLAN_VERSION, f"format version {plan.version!r} is not {PLAN_VERSION}")
    _require(plan.abi_version == ABI_VERSION, f"ABI version {plan.abi_version!r} is not {ABI_VERSION}")
    _require(isinstance(plan.source, str), "source is not a string")
    _require(all(isinstance(k, str) for k in plan.kinds), "kinds are not strings")
    _require(_is_int(plan.memory_pages) and 1 <= plan.memory_pages <= MAX_PAGES,
             f"memory of {plan.memory_pages!r} pages is not between 1 and {MAX_PAGES}")
    for region in plan.regions:
        _require(isinstance(region.kind, str) and isinstance(region.name, str), "a region has no kind or name")
        _require(_is_int(region.offset) and _is_int(region.size), f"region {region.name!r} has a non-integer bound")
    for index, value in enumerate(plan.values):
        _require(value.type in VALUE_TYPES, f"value {index} has unknown type {value.type!r}")
        _require(_is_int(value.offset) and _is_int(value.capacity) and value.capacity >= 0,
                 f"value {index} has a bad offset or capacity")
        if value.words is not None:
            _require(isinstance(value.words, tuple) and all(_is_int(w) and I32_MIN <= w <= U32_MAX for w in value.words)
                     and len(value.words) == value.capacity, f"constant {index} has bad words")
            _require(value.producer is None, f"constant {index} also names a producer")
        else:
            _require(_is_int(value.producer), f"slot {index} names no producing step")
    for index, step in enumerate(plan.steps):
        _require(isinstance(step.node, str) and _is_int(step.kind) and _is_int(step.output)
                 and _is_int(step.line) and _is_int(step.col), f"step {index} has bad fields")
        _require(isinstance(step.inputs, tuple) and all(_is_int(i) for i in step.inputs), f"step {index} has bad inputs")
        _require(isinstance(step.input_names, tuple) and len(step.input_names) == len(step.inputs)
                 and all(isinstance(n, str) for n in step.input_names), f"step {index} has bad input names")
    _require(_is_int(plan.output), "output is not a value index")
    names = set()
    for param in plan.params:
        _require(isinstance(param.name, str) and param.name not in names, f"parameter {param.name!r} is unnamed or repeated")
        names.add(param.name)
        _require(param.type in SCALAR_WORDS, f"parameter {param.name!r} has non-scalar type {param.type!r}")
        _require(_is_int(param.value) and 0 <= param.value < len(plan.values)
                 and plan.values[param.value].type == param.type and plan.values[param.value].words is not None,
                 f"parameter {param.name!r} does not refer to a value of its type")
        for bound in (param.min, param.max):
            _require(bound is None or (isinstance(bound, (int, float)) and not isinstance(bound, bool) and math.isfinite(bound)),
                     f"parameter {param.name!r} has a bad range")
        _require(param.min is None or param.max is None or param.min <= param.max,
                 f"parameter {param.name!r} has min above max")
        default = decode_scalar(param.type, plan.values[param.value].words)
        _require(range_problem(param, default) is None, f"parameter {param.name!r}'s default is outside its range")


def _check_regions(plan: Plan) -> dict[str, Region]:
    params = {p.value for p in plan.params}
    memory = plan.memory_pages * PAGE_BYTES
    ordered = sorted(plan.regions, key=lambda r: r.offset)
    for region in ordered:
        _require(region.offset % ALIGN == 0, f"region {region.name!r} is not {ALIGN}-byte aligned")
        _require(0 <= region.offset and 0 <= region.size and region.end <= memory,
                 f"region {region.name!r} ({region.offset}+{region.size}) is outside the {memory}-byte memory")
    for before, after in zip(ordered, ordered[1:]):
        _require(before.end <= after.offset, f"regions {before.name!r} and {after.name!r} overlap")
    tables = {}
    for kind in TABLE_KINDS:
        found = [r for r in plan.regions if r.kind == kind]
        _require(len(found) == 1, f"there must be exactly one {kind} region")
        tables[kind] = found[0]
    _require(tables["static"].offset == 0, "the module's static region must start at address 0")
    expected = {
        "control": CONTROL_BYTES,
        "values": VALUE_ENTRY_BYTES * len(plan.values),
        "steps": 4 * len(plan.steps),
        "records": 4 * sum(3 + len(s.inputs) for s in plan.steps),
        "constants": 4 * sum(len(v.words) for i, v in enumerate(plan.values) if v.words is not None and i not in params),
        "params": 4 * sum(len(plan.values[i].words) for i in params),
    }
    for kind, size in expected.items():
        _require(tables[kind].size == size, f"the {kind} region holds {tables[kind].size} bytes, not {size}")
    _require(all(r.kind in TABLE_KINDS or r.kind in ("slot", "guard") for r in plan.regions), "a region has an unknown kind")
    _require(all(r.size > 0 and r.size % 4 == 0 for r in plan.regions if r.kind == "guard"),
             "a guard region is not whole words")
    return tables


def _inside(value: Value, region: Region) -> bool:
    return region.offset <= value.offset and value.offset + 4 * value.capacity <= region.end


def _check_values_and_steps(plan: Plan, tables: dict[str, Region]):
    slots = [r for r in plan.regions if r.kind == "slot"]
    params = {p.value for p in plan.params}
    for index, value in enumerate(plan.values):
        _require(value.offset % 4 == 0, f"value {index} is not word aligned")
        if index in params:
            _require(_inside(value, tables["params"]), f"parameter value {index} lies outside the params region")
        elif value.words is not None:
            _require(_inside(value, tables["constants"]), f"constant {index} lies outside the constants region")
        else:
            _require(any(_inside(value, r) for r in slots), f"slot {index} lies outside every slot region")
            _require(0 <= value.producer < len(plan.steps) and plan.steps[value.producer].output == index,
                     f"slot {index} is not the output of the step it names")
    _require(0 <= plan.output < len(plan.values) and plan.values[plan.output].words is None,
             "the output is not a node's slot")
    for index, step in enumerate(plan.steps):
        _require(0 <= step.kind < len(plan.kinds), f"step {index} has unknown node kind {step.kind}")
        _require(0 <= step.output < len(plan.values) and plan.values[step.output].producer == index,
                 f"step {index} writes a value that is not its own slot")
        output = plan.values[step.output]
        for value_index in step.inputs:
            _require(0 <= value_index < len(plan.values), f"step {index} reads value {value_index}, which does not exist")
            read = plan.values[value_index]
            _require(read.words is not None or read.producer < index,
                     f"step {index} reads value {value_index} before it is written")
            overlaps = read.offset < output.offset + 4 * output.capacity and output.offset < read.offset + 4 * read.capacity
            _require(not overlaps or read.capacity == 0 or output.capacity == 0,
                     f"step {index} writes over its own input {value_index}")


def _check_shared_slots(plan: Plan):
    """Values may share a slot region only if their lifetimes (written .. last read) are disjoint."""
    last_read = {}
    for index, step in enumerate(plan.steps):
        for value_index in step.inputs:
            last_read[value_index] = index
    last_read[plan.output] = len(plan.steps)
    by_region: dict[int, list[tuple[int, int]]] = {}
    slot_regions = [r for r in plan.regions if r.kind == "slot"]
    starts = sorted(r.offset for r in slot_regions)
    for index, value in enumerate(plan.values):
        if value.words is None:
            region = starts[bisect.bisect_right(starts, value.offset) - 1]
            by_region.setdefault(region, []).append((value.producer, last_read.get(index, value.producer)))
    for lifetimes in by_region.values():
        lifetimes.sort()
        for (_, end), (start, _) in zip(lifetimes, lifetimes[1:]):
            _require(end < start, "two slots share memory while both are live")


def range_problem(param, value) -> str | None:
    """Why `value` is outside the parameter's range, or None."""
    if param.type in ("boolean", "vec3"):
        return None
    if (param.min is not None and value < param.min) or (param.max is not None and value > param.max):
        return f"`{param.name}` takes values from {param.min} to {param.max}"
    return None


def validate_plan(plan: Plan) -> None:
    """Raise PlanInvalid naming the first problem; return only for a plan that is safe to run."""
    _check_fields(plan)
    tables = _check_regions(plan)
    _check_values_and_steps(plan, tables)
    _check_shared_slots(plan)
