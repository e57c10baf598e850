"""Check a plan completely before any of it runs: it may come from anywhere."""

from __future__ import annotations

import bisect
import itertools

from ndg.errors import UserError
from ndg.runtime.abi import (
    ABI_VERSION,
    ALIGN,
    CONTROL_BYTES,
    GUARD_BYTES,
    MAX_NODE_MODULES,
    MAX_PAGES,
    PAGE_BYTES,
    PLAN_VERSION,
    RECORD_HEADER_WORDS,
    RECORD_INPUT_WORDS,
    SCALAR_WORDS,
    VALUE_ENTRY_BYTES,
    RecordField,
    RecordInputField,
    RegionKind,
    SlotPolicy,
    ValueType,
)
from ndg.runtime.plan import LEN_FIELD_BYTES, Plan, Region, Value, record_words
from ndg.runtime.scalars import decode_scalar, encode_scalar, scalar_problem

# The regions every plan has exactly one of.
TABLE_KINDS = (RegionKind.STATIC, RegionKind.CONTROL, RegionKind.VALUES, RegionKind.STEPS, RegionKind.RECORDS,
               RegionKind.CONSTANTS, RegionKind.PARAMS)
# A loaded plan holds plain strings, which equal the members: these sets test membership.
VALUE_TYPES, REGION_KINDS, SLOT_POLICIES = frozenset(ValueType), frozenset(RegionKind), frozenset(SlotPolicy)
# Far above any graph a .ndg file can hold; a bound so a crafted plan cannot make validation
# itself the attack (it is linear, about 0.1 ms a step).
MAX_STEPS = 1_000_000
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
        _require(value.type not in SCALAR_WORDS or value.capacity == SCALAR_WORDS[value.type],
                 f"value {index} is a {value.type} of {value.capacity} words, not {SCALAR_WORDS.get(value.type)}")
        if value.words is not None:
            _require(isinstance(value.words, tuple) and all(_is_int(w) and I32_MIN <= w <= U32_MAX for w in value.words)
                     and len(value.words) == value.capacity, f"constant {index} has bad words")
            _require(value.producer is None and value.live_until is None, f"constant {index} also names a producer")
        else:
            _require(_is_int(value.producer) and _is_int(value.live_until), f"slot {index} names no producing step or lifetime")
    for index, step in enumerate(plan.steps):
        _require(isinstance(step.node, str) and _is_int(step.kind) and _is_int(step.output)
                 and _is_int(step.line) and _is_int(step.col), f"step {index} has bad fields")
        _require(isinstance(step.inputs, tuple) and all(_is_int(i) for i in step.inputs), f"step {index} has bad inputs")
        _require(isinstance(step.input_names, tuple) and len(step.input_names) == len(step.inputs)
                 and all(isinstance(n, str) for n in step.input_names), f"step {index} has bad input names")
    _require(_is_int(plan.output), "output is not a value index")
    _require(plan.layout in SLOT_POLICIES, f"layout {plan.layout!r} is not one of {', '.join(SlotPolicy)}")
    _require(_is_int(plan.peak_live_bytes), "peak live bytes is not a number")
    _require(isinstance(plan.compat, bool), "compat is not true or false")
    names = set()
    for param in plan.params:
        _require(isinstance(param.name, str) and param.name not in names, f"parameter {param.name!r} is unnamed or repeated")
        names.add(param.name)
        _require(param.type in SCALAR_WORDS, f"parameter {param.name!r} has non-scalar type {param.type!r}")
        _require(_is_int(param.value) and 0 <= param.value < len(plan.values)
                 and plan.values[param.value].type == param.type and plan.values[param.value].words is not None,
                 f"parameter {param.name!r} does not refer to a value of its type")
        for bound in (param.min, param.max):
            _require(bound is None or scalar_problem("float" if param.type == "float" else "integer", bound) is None,
                     f"parameter {param.name!r} has a range end its type cannot hold")
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
        _require(region.offset >= 0 and region.size >= 0 and region.end <= memory,
                 f"region {region.name!r} ({region.offset}+{region.size}) is outside the {memory}-byte memory")
    for before, after in itertools.pairwise(ordered):
        _require(before.end <= after.offset, f"regions {before.name!r} and {after.name!r} overlap")
    tables = {}
    for kind in TABLE_KINDS:
        found = [r for r in plan.regions if r.kind == kind]
        _require(len(found) == 1, f"there must be exactly one {kind} region")
        tables[kind] = found[0]
    _require(tables[RegionKind.STATIC].offset == 0, "the module's static region must start at address 0")
    expected = {
        RegionKind.CONTROL: CONTROL_BYTES,
        RegionKind.VALUES: VALUE_ENTRY_BYTES * len(plan.values),
        RegionKind.STEPS: 4 * len(plan.steps),
        RegionKind.RECORDS: 4 * sum(record_words(len(s.inputs)) for s in plan.steps),
        RegionKind.CONSTANTS: 4 * sum(len(v.words) for i, v in enumerate(plan.values) if v.words is not None and i not in params),
        RegionKind.PARAMS: 4 * sum(len(plan.values[i].words) for i in params),
    }
    for kind, size in expected.items():
        _require(tables[kind].size == size, f"the {kind} region holds {tables[kind].size} bytes, not {size}")
    _require(all(r.kind in REGION_KINDS for r in plan.regions), "a region has an unknown kind")
    for region, following in zip(ordered, [*ordered[1:], None]):
        _require(region.kind != RegionKind.GUARD or region.size == GUARD_BYTES, f"guard {region.name!r} is not {GUARD_BYTES} bytes")
        _require(region.kind != RegionKind.SLOT or (following is not None and following.kind == RegionKind.GUARD),
                 f"slot region {region.name!r} is not followed by a guard")
    return tables


def _check_modules(plan: Plan):
    """A per-node plan has one module per kind, in kind order, each with its own `module` region;
    a plan over one module has no such regions."""
    regions = [r for r in plan.regions if r.kind == RegionKind.MODULE]
    if not plan.modules:
        _require(not regions, "module regions without per-node modules")
        return
    _require(len(plan.kinds) <= MAX_NODE_MODULES, f"more than {MAX_NODE_MODULES} node modules")
    _require([m.node for m in plan.modules] == list(plan.kinds), "the node modules are not one per kind, in kind order")
    for module in plan.modules:
        _require(isinstance(module.sha256, str) and len(module.sha256) == 64 and _is_int(module.size) and module.size > 0,
                 f"module {module.node!r} has a bad digest or size")
    _require(sorted(r.name for r in regions) == sorted(plan.kinds), "the module regions are not one per node module")


def module_region_problem(region: Region, segments, stack_pointers) -> str | None:
    """Why a node module's static data or stack (read from its binary) is not all inside its
    region, or None."""
    for address, length in segments:
        if not region.offset <= address <= address + length <= region.end:
            return f"a data segment ({address}+{length}) lies outside its region {region.offset}..{region.end}"
    for pointer in stack_pointers:
        if not region.offset <= pointer <= region.end:
            return f"its stack ({pointer}) lies outside its region {region.offset}..{region.end}"
    return None


def _inside(value: Value, region: Region) -> bool:
    return region.offset <= value.offset and value.offset + 4 * value.capacity <= region.end


def _in_some_region(value: Value, regions: list[Region], starts: list[int]) -> bool:
    """Whether `value` lies inside one of `regions` (disjoint, sorted by offset and size, so the
    last region starting at an offset is the largest; `starts` their offsets)."""
    at = bisect.bisect_right(starts, value.offset) - 1
    return at >= 0 and _inside(value, regions[at])


def _check_values_and_steps(plan: Plan, tables: dict[str, Region]):
    slots = sorted((r for r in plan.regions if r.kind == RegionKind.SLOT), key=lambda r: (r.offset, r.size))
    starts = [r.offset for r in slots]
    params = {p.value for p in plan.params}
    for index, value in enumerate(plan.values):
        _require(value.offset % 4 == 0, f"value {index} is not word aligned")
        if index in params:
            _require(_inside(value, tables[RegionKind.PARAMS]), f"parameter value {index} lies outside the params region")
        elif value.words is not None:
            _require(_inside(value, tables[RegionKind.CONSTANTS]), f"constant {index} lies outside the constants region")
        else:
            _require(_in_some_region(value, slots, starts), f"slot {index} lies outside every slot region")
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


def _check_records(plan: Plan, tables: dict[str, Region]):
    """Every address the module will follow, as the step records hold it: an output's words inside a
    slot region, an input's inside the region of its kind, every length pointer at the `len` word
    of a value-table entry. The records are derived from the values checked above; this checks the
    derivation, so that a wrong record cannot send the module outside the plan's regions."""
    data = sorted((r for r in plan.regions if r.kind in (RegionKind.SLOT, RegionKind.CONSTANTS, RegionKind.PARAMS)), key=lambda r: r.offset)
    starts = [r.offset for r in data]
    table = tables[RegionKind.VALUES]

    def within(address: int, words: int, kinds: tuple[RegionKind, ...]) -> bool:
        at = bisect.bisect_right(starts, address) - 1
        return at >= 0 and data[at].kind in kinds and address % 4 == 0 and address + 4 * words <= data[at].end

    def length_of(address: int, step: int) -> Value:
        index, rest = divmod(address - table.offset - LEN_FIELD_BYTES, VALUE_ENTRY_BYTES)
        _require(rest == 0 and 0 <= index < len(plan.values), f"step {step}'s record points a length outside the value table")
        return plan.values[index]

    for index, record in enumerate(plan.step_records()):
        out_ptr, out_capacity = record[RecordField.OUT_PTR], record[RecordField.OUT_CAPACITY]
        out_len, n_inputs = record[RecordField.OUT_LEN_PTR], record[RecordField.N_INPUTS]
        _require(len(record) == record_words(n_inputs), f"step {index}'s record has the wrong length")
        _require(within(out_ptr, out_capacity, (RegionKind.SLOT,)) and length_of(out_len, index).capacity == out_capacity,
                 f"step {index}'s record puts its output outside its slot")
        inputs = record[RECORD_HEADER_WORDS:]
        for ptr, length in zip(inputs[RecordInputField.PTR :: RECORD_INPUT_WORDS],
                               inputs[RecordInputField.LEN_PTR :: RECORD_INPUT_WORDS]):
            _require(within(ptr, length_of(length, index).capacity, (RegionKind.SLOT, RegionKind.CONSTANTS, RegionKind.PARAMS)),
                     f"step {index}'s record reads an input outside the plan's values")


def _check_lifetimes(plan: Plan):
    """Each slot's recorded lifetime (written .. last read; the output to the end) is the real one,
    and so is the recorded peak of live bytes; slots live at the same time share no byte. Under
    `keep` every slot counts as live for the whole run."""
    steps = len(plan.steps)
    last_read = {}
    for index, step in enumerate(plan.steps):
        for value_index in step.inputs:
            last_read[value_index] = index
    last_read[plan.output] = steps
    starting: list[list[int]] = [[] for _ in range(steps + 1)]
    ending: list[list[int]] = [[] for _ in range(steps + 1)]
    change = [0] * (steps + 2)
    for index, value in enumerate(plan.values):
        if value.words is not None:
            continue
        expected = last_read.get(index, value.producer)
        _require(value.live_until == expected, f"slot {index} is recorded as live until step {value.live_until}, "
                                               f"but it is last read at step {expected}")
        change[value.producer] += 4 * value.capacity
        change[expected + 1] -= 4 * value.capacity
        start, end = (0, steps) if plan.layout == "keep" else (value.producer, expected)
        starting[start].append(index)
        ending[end].append(index)
    live_bytes = peak = 0
    for delta in change:
        live_bytes += delta
        peak = max(peak, live_bytes)
    _require(plan.peak_live_bytes == peak, f"the recorded peak of {plan.peak_live_bytes} live bytes is not the real {peak}")
    # Live byte ranges, sorted and pairwise disjoint: a new one overlaps some iff it overlaps a neighbour.
    live: list[tuple[int, int, int]] = []
    for step in range(steps + 1):
        for index in starting[step]:
            value = plan.values[index]
            if value.capacity == 0:
                continue
            entry = (value.offset, value.offset + 4 * value.capacity, index)
            at = bisect.bisect(live, entry)
            for neighbour in live[max(at - 1, 0) : at + 1]:
                _require(neighbour[1] <= entry[0] or entry[1] <= neighbour[0],
                         f"slots {neighbour[2]} and {index} share memory while both are live")
            live.insert(at, entry)
        for index in ending[step]:
            value = plan.values[index]
            entry = (value.offset, value.offset + 4 * value.capacity, index)
            at = bisect.bisect_left(live, entry)
            if at < len(live) and live[at] == entry:
                del live[at]


def _as_f32(value: float) -> float:
    return decode_scalar("float", encode_scalar("float", value))


def range_problem(param, value) -> str | None:
    """Why `value` is outside the parameter's range, or None."""
    if param.type in ("boolean", "vec3"):
        return None
    low, high = param.min, param.max
    if param.type == "float":  # compared as stored: `= 0.84 in 0.84..1` rounds both ends alike
        value, low, high = (None if v is None else _as_f32(v) for v in (value, low, high))
    if (low is not None and value < low) or (high is not None and value > high):
        return f"`{param.name}` takes values from {param.min} to {param.max}"
    return None


def validate_plan(plan: Plan) -> None:
    """Raise PlanInvalid naming the first problem; return only for a plan that is safe to run."""
    _require(isinstance(plan.steps, tuple) and len(plan.steps) <= MAX_STEPS and len(plan.values) <= 2 * MAX_STEPS,
             f"it has more than {MAX_STEPS:,} steps or {2 * MAX_STEPS:,} values")
    _check_fields(plan)
    tables = _check_regions(plan)
    _check_modules(plan)
    _check_values_and_steps(plan, tables)
    _check_records(plan, tables)
    _check_lifetimes(plan)
