"""Check a plan completely before any of it runs: it may come from anywhere."""

from __future__ import annotations

import itertools
import mmap
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sortedcontainers import SortedList

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
from ndg.runtime.plan import LEN_FIELD_BYTES, Plan, Region
from ndg.runtime.scalars import decode_scalar, encode_scalar, scalar_problem

# The regions every plan has exactly one of.
TABLE_KINDS = (RegionKind.STATIC, RegionKind.CONTROL, RegionKind.VALUES, RegionKind.STEPS, RegionKind.RECORDS,
               RegionKind.CONSTANTS, RegionKind.PARAMS)
# A loaded plan holds plain strings, which equal the members: these sets test membership.
VALUE_TYPES, REGION_KINDS, SLOT_POLICIES = frozenset(ValueType), frozenset(RegionKind), frozenset(SlotPolicy)
# Far above any graph a .ndg file can hold; a bound so a crafted plan cannot make validation
# itself the attack (it is linear, a few microseconds a step).
MAX_STEPS = 1_000_000
I32_MIN, U32_MAX = -(2**31), 2**32 - 1
# Every integer field of a plan is an address, a size, an index or a source position: far below
# this, which keeps the checks' sums over two million values exact in int64 (a crafted 2**70 is
# refused, not wrapped).
INT_BOUND = 2**41
# The operating system's memory page: the lowest one of a plan's memory, the bottom of the stack,
# is kept read-only at run time (ndg.runtime.read_only), so it may hold nothing but stack.
OS_PAGE = mmap.PAGESIZE


def _is_member(field: object, members: frozenset) -> bool:
    """Whether a field read from a plan is one of a closed set's names: a crafted plan may put a list there."""
    return isinstance(field, str) and field in members


def _all_members(fields: list, members: frozenset) -> bool:
    try:
        return set(fields) <= members
    except TypeError:  # an unhashable field, a list say
        return False


class PlanInvalid(UserError):
    def __init__(self, problem: str):
        super().__init__(f"the plan is invalid: {problem}",
                         "compile the graph again with `ndg compile`; a plan is not meant to be edited by hand")


def _is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _require(condition: bool, problem: str):
    if not condition:
        raise PlanInvalid(problem)


def _require_all(ok, problem: Callable[[int], str]):
    """PlanInvalid naming the first index where `ok` (one flag per item) is false."""
    bad = np.flatnonzero(~np.asarray(ok, dtype=bool))
    if bad.size:
        raise PlanInvalid(problem(int(bad[0])))


def _int_array(items: list, problem: Callable[[int], str]) -> np.ndarray:
    """Fields that must be integers, as an array (after the check: a crafted plan may hold anything)."""
    if not (set(map(type, items)) <= {int} and (not items or (min(items) > -INT_BOUND and max(items) < INT_BOUND))):
        _require_all([_is_int(item) and -INT_BOUND < item < INT_BOUND for item in items], problem)
    return np.array(items, dtype=np.int64)


@dataclass(frozen=True)
class _Columns:
    """The fields of every value and step as arrays, once their types are checked."""

    offset: np.ndarray  # of each value
    capacity: np.ndarray
    is_slot: np.ndarray
    producer: np.ndarray  # -1 for a constant
    live_until: np.ndarray  # -1 for a constant
    kind: np.ndarray  # of each step
    output: np.ndarray
    n_inputs: np.ndarray
    inputs: np.ndarray  # every step's inputs, one step after another
    reader: np.ndarray  # the step of each of `inputs`


def _value_columns(plan: Plan) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    values = plan.values
    types = [v.type for v in values]
    if not _all_members(types, VALUE_TYPES):
        _require_all([_is_member(t, VALUE_TYPES) for t in types], lambda i: f"value {i} has unknown type {types[i]!r}")
    offset = _int_array([v.offset for v in values], lambda i: f"value {i} has a bad offset or capacity")
    capacity = _int_array([v.capacity for v in values], lambda i: f"value {i} has a bad offset or capacity")
    _require_all(capacity >= 0, lambda i: f"value {i} has a bad offset or capacity")
    scalar_words = np.array([SCALAR_WORDS.get(t, -1) for t in types], dtype=np.int64)
    _require_all((scalar_words < 0) | (capacity == scalar_words),
                 lambda i: f"value {i} is a {types[i]} of {capacity[i]} words, not {SCALAR_WORDS.get(types[i])}")
    is_slot = np.array([v.words is None for v in values], dtype=bool)
    for index in np.flatnonzero(~is_slot).tolist():
        value = values[index]
        words = value.words
        _require(isinstance(words, tuple) and len(words) == value.capacity
                 and all(_is_int(w) and I32_MIN <= w <= U32_MAX for w in words), f"constant {index} has bad words")
        _require(value.producer is None and value.live_until is None, f"constant {index} also names a producer")
    slots = np.flatnonzero(is_slot)
    producer, live_until = np.full(len(values), -1, dtype=np.int64), np.full(len(values), -1, dtype=np.int64)
    for column, field in ((producer, "producer"), (live_until, "live_until")):
        column[slots] = _int_array([getattr(values[i], field) for i in slots.tolist()],
                                   lambda i: f"slot {slots[i]} names no producing step or lifetime")
    return offset, capacity, is_slot, producer, live_until


def _step_columns(plan: Plan) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    steps = plan.steps
    nodes = [s.node for s in steps]
    if not set(map(type, nodes)) <= {str}:
        _require_all([isinstance(n, str) for n in nodes], lambda i: f"step {i} has bad fields")
    # Names are printed in summaries and messages: a .ndg name is never empty, nor spans lines.
    _require_all([n.isprintable() and n != "" for n in nodes], lambda i: f"step {i} has an empty or unprintable name")
    kind, output = (_int_array([getattr(s, field) for s in steps], lambda i: f"step {i} has bad fields")
                    for field in ("kind", "output"))
    for field in ("line", "col"):  # only shown, never used as an address: any integer
        places = [getattr(s, field) for s in steps]
        if not set(map(type, places)) <= {int}:
            _require_all([_is_int(p) for p in places], lambda i: f"step {i} has bad fields")
    inputs = [s.inputs for s in steps]
    names = [s.input_names for s in steps]
    if not set(map(type, inputs)) <= {tuple}:
        _require_all([isinstance(i, tuple) for i in inputs], lambda i: f"step {i} has bad inputs")
    n_inputs = np.array([len(i) for i in inputs], dtype=np.int64)
    reader = np.repeat(np.arange(len(steps)), n_inputs)
    flat_inputs = _int_array(list(itertools.chain.from_iterable(inputs)), lambda i: f"step {reader[i]} has bad inputs")
    if not set(map(type, names)) <= {tuple}:
        _require_all([isinstance(n, tuple) for n in names], lambda i: f"step {i} has bad input names")
    _require_all(np.array([len(n) for n in names], dtype=np.int64) == n_inputs, lambda i: f"step {i} has bad input names")
    flat_names = list(itertools.chain.from_iterable(names))
    if not set(map(type, flat_names)) <= {str}:
        _require_all([isinstance(n, str) for n in flat_names], lambda i: f"step {reader[i]} has bad input names")
    return kind, output, n_inputs, flat_inputs, reader


def _check_fields(plan: Plan) -> _Columns:
    _require(plan.version == PLAN_VERSION, f"format version {plan.version!r} is not {PLAN_VERSION}")
    _require(plan.abi_version == ABI_VERSION, f"ABI version {plan.abi_version!r} is not {ABI_VERSION}")
    _require(isinstance(plan.source, str), "source is not a string")
    _require(all(isinstance(k, str) for k in plan.kinds), "kinds are not strings")
    _require(_is_int(plan.memory_pages) and 1 <= plan.memory_pages <= MAX_PAGES,
             f"memory of {plan.memory_pages!r} pages is not between 1 and {MAX_PAGES}")
    columns = _Columns(*_value_columns(plan), *_step_columns(plan))
    _require(_is_int(plan.output), "output is not a value index")
    _require(_is_member(plan.layout, SLOT_POLICIES), f"layout {plan.layout!r} is not one of {', '.join(SlotPolicy)}")
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
    return columns


def _params_mask(plan: Plan) -> np.ndarray:
    is_param = np.zeros(len(plan.values), dtype=bool)
    is_param[[p.value for p in plan.params]] = True
    return is_param


@dataclass(frozen=True)
class _Regions:
    """The regions' fields as arrays, once their types are checked, and the one of each table kind."""

    offset: np.ndarray
    end: np.ndarray
    kind: np.ndarray
    tables: dict[str, Region]

    def of_kinds(self, kinds: tuple[RegionKind, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The start, end and kind index (in `kinds`) of the regions of those kinds, sorted by start
        (then end: of several starting at one address, the last is the largest)."""
        chosen = np.flatnonzero(np.isin(self.kind, kinds))
        chosen = chosen[np.lexsort((self.end[chosen], self.offset[chosen]))]
        kind_index = np.zeros(len(chosen), dtype=np.int64)
        for index, kind in enumerate(kinds):
            kind_index[self.kind[chosen] == kind] = index
        return self.offset[chosen], self.end[chosen], kind_index


def _check_regions(plan: Plan, columns: _Columns) -> _Regions:
    regions = plan.regions
    kinds, names = [r.kind for r in regions], [r.name for r in regions]
    if not set(map(type, kinds)) | set(map(type, names)) <= {str, RegionKind}:
        _require_all([isinstance(k, str) and isinstance(n, str) for k, n in zip(kinds, names)],
                     lambda i: "a region has no kind or name")
    offset = _int_array([r.offset for r in regions], lambda i: f"region {names[i]!r} has a non-integer bound")
    size = _int_array([r.size for r in regions], lambda i: f"region {names[i]!r} has a non-integer bound")
    memory = plan.memory_pages * PAGE_BYTES
    order = np.argsort(offset, kind="stable")
    start, end = offset[order], offset[order] + size[order]
    _require_all(start % ALIGN == 0, lambda i: f"region {names[order[i]]!r} is not {ALIGN}-byte aligned")
    _require_all((start >= 0) & (size[order] >= 0) & (end <= memory),
                 lambda i: f"region {names[order[i]]!r} ({start[i]}+{size[order[i]]}) is outside the {memory}-byte memory")
    _require_all(end[:-1] <= start[1:], lambda i: f"regions {names[order[i]]!r} and {names[order[i + 1]]!r} overlap")
    tables = {}
    for kind in TABLE_KINDS:
        _require(kinds.count(kind) == 1, f"there must be exactly one {kind} region")
        tables[kind] = regions[kinds.index(kind)]
    _require(tables[RegionKind.STATIC].offset == 0, "the module's static region must start at address 0")
    _require(tables[RegionKind.STATIC].end >= 2 * OS_PAGE,
             f"the module's static region must span at least two memory pages ({2 * OS_PAGE} bytes): "
             "its lowest page, the bottom of the stack, is read-only while the plan runs")
    is_param = _params_mask(plan)
    expected = {
        RegionKind.CONTROL: CONTROL_BYTES,
        RegionKind.VALUES: VALUE_ENTRY_BYTES * len(plan.values),
        RegionKind.STEPS: 4 * len(plan.steps),
        RegionKind.RECORDS: 4 * (RECORD_HEADER_WORDS * len(plan.steps) + RECORD_INPUT_WORDS * int(columns.n_inputs.sum())),
        RegionKind.CONSTANTS: 4 * int(columns.capacity[~columns.is_slot & ~is_param].sum()),
        RegionKind.PARAMS: 4 * int(columns.capacity[is_param].sum()),
    }
    for kind, table_size in expected.items():
        _require(tables[kind].size == table_size, f"the {kind} region holds {tables[kind].size} bytes, not {table_size}")
    _require(_all_members(kinds, REGION_KINDS), "a region has an unknown kind")
    kind_array = np.array(kinds, dtype=str)
    is_guard, is_slot = kind_array[order] == RegionKind.GUARD, kind_array[order] == RegionKind.SLOT
    _require_all(~is_guard | (size[order] == GUARD_BYTES), lambda i: f"guard {names[order[i]]!r} is not {GUARD_BYTES} bytes")
    _require_all(~is_slot | np.append(is_guard[1:], False),
                 lambda i: f"slot region {names[order[i]]!r} is not followed by a guard")
    return _Regions(offset, offset + size, kind_array, tables)


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


def module_layout_problem(data: Region, stack: Region, segments, stack_pointers) -> str | None:
    """Why a module (its data segments and stack pointers, read from its binary) breaks the layout
    every plan keeps, or None: its data inside `data`, its stack inside `stack` (the static region
    at address 0), below all of its data and above the memory's lowest page. A stack then grows
    down towards address 0 over nothing but itself, and a node recursing past it traps on that
    page, read-only while the plan runs, instead of writing over memory. (A single module's `data`
    and `stack` are both the static region.)"""
    for address, length in segments:
        if not data.offset <= address <= address + length <= data.end:
            return f"a data segment ({address}+{length}) lies outside its region {data.offset}..{data.end}"
    lowest_data = min((address for address, _ in segments), default=data.end)
    for pointer in stack_pointers:
        if not stack.offset + OS_PAGE < pointer <= min(stack.end, lowest_data):
            return (f"its stack pointer ({pointer}) is not at the bottom of the memory, below its data and above "
                    f"the lowest page: the stack must lie in {stack.offset}..{min(stack.end, lowest_data)} "
                    f"and be larger than {OS_PAGE} bytes")
    return None


def _within(address: np.ndarray, nbytes: np.ndarray, regions: tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """For each address, the index of the region (of `_Regions.of_kinds`) its `nbytes` lie inside, or -1."""
    starts, ends, _ = regions
    at = np.searchsorted(starts, address, side="right") - 1
    found = np.maximum(at, 0)
    inside = (at >= 0) & (address + nbytes <= ends[found]) if len(starts) else np.zeros(len(address), dtype=bool)
    return np.where(inside, at, -1)


def _check_values_and_steps(plan: Plan, regions: _Regions, columns: _Columns):
    offset, capacity, is_slot, producer = columns.offset, columns.capacity, columns.is_slot, columns.producer
    end = offset + 4 * capacity
    is_param = _params_mask(plan)
    _require_all(offset % 4 == 0, lambda i: f"value {i} is not word aligned")

    def inside(region: Region) -> np.ndarray:
        return (region.offset <= offset) & (end <= region.end)

    tables = regions.tables
    _require_all(~is_param | inside(tables[RegionKind.PARAMS]), lambda i: f"parameter value {i} lies outside the params region")
    _require_all(is_param | is_slot | inside(tables[RegionKind.CONSTANTS]), lambda i: f"constant {i} lies outside the constants region")
    slot_regions = regions.of_kinds((RegionKind.SLOT,))
    _require_all(~is_slot | (_within(offset, 4 * capacity, slot_regions) >= 0), lambda i: f"slot {i} lies outside every slot region")
    n_steps, n_values = len(plan.steps), len(plan.values)
    produced = (producer >= 0) & (producer < n_steps)
    _require_all(~is_slot | produced & (columns.output[np.where(produced, producer, 0)] == np.arange(n_values)),
                 lambda i: f"slot {i} is not the output of the step it names")
    _require(0 <= plan.output < n_values and plan.values[plan.output].words is None, "the output is not a node's slot")
    _require_all((columns.kind >= 0) & (columns.kind < len(plan.kinds)),
                 lambda i: f"step {i} has unknown node kind {columns.kind[i]}")
    output = columns.output
    exists = (output >= 0) & (output < n_values)
    _require_all(exists & (producer[np.where(exists, output, 0)] == np.arange(n_steps)),
                 lambda i: f"step {i} writes a value that is not its own slot")
    inputs, reader = columns.inputs, columns.reader
    _require_all((inputs >= 0) & (inputs < n_values),
                 lambda i: f"step {reader[i]} reads value {inputs[i]}, which does not exist")
    _require_all(~is_slot[inputs] | (producer[inputs] < reader),
                 lambda i: f"step {reader[i]} reads value {inputs[i]} before it is written")
    written = output[reader]
    overlaps = (offset[inputs] < end[written]) & (offset[written] < end[inputs])
    _require_all(~overlaps | (capacity[inputs] == 0) | (capacity[written] == 0),
                 lambda i: f"step {reader[i]} writes over its own input {inputs[i]}")


def _check_records(plan: Plan, regions: _Regions, columns: _Columns):
    """Every address the module will follow, as the step records hold it: an output's words inside a
    slot region, an input's inside the region of its kind, every length pointer at the `len` word
    of a value-table entry. The records are derived from the values checked above; this checks the
    derivation, so that a wrong record cannot send the module outside the plan's regions."""
    records = plan.step_records()
    words, starts = records.words, records.starts
    data = regions.of_kinds((RegionKind.SLOT, RegionKind.CONSTANTS, RegionKind.PARAMS))
    value_table = regions.tables[RegionKind.VALUES]
    lengths = np.diff(np.append(starts, len(words)))
    n_inputs = words[np.minimum(starts + RecordField.N_INPUTS, len(words) - 1)] if len(words) else starts
    _require_all((lengths >= RECORD_HEADER_WORDS) & (lengths == RECORD_HEADER_WORDS + RECORD_INPUT_WORDS * n_inputs),
                 lambda i: f"step {i}'s record has the wrong length")

    def length_of(address: np.ndarray, step: np.ndarray) -> np.ndarray:
        """The capacity of the value whose `len` word each address points at."""
        index, rest = np.divmod(address - value_table.offset - LEN_FIELD_BYTES, VALUE_ENTRY_BYTES)
        _require_all((rest == 0) & (index >= 0) & (index < len(plan.values)),
                     lambda i: f"step {step[i]}'s record points a length outside the value table")
        return columns.capacity[index]

    def aligned_within(address: np.ndarray, capacity: np.ndarray) -> np.ndarray:
        """The kind (index in `data`'s kinds) of the region each address's words lie in, or -1."""
        at = _within(address, 4 * capacity, data)
        return np.where((at >= 0) & (address % 4 == 0), data[2][np.maximum(at, 0)], -1)

    out_ptr, out_capacity = words[starts + RecordField.OUT_PTR], words[starts + RecordField.OUT_CAPACITY]
    steps = np.arange(len(starts))
    out_length = length_of(words[starts + RecordField.OUT_LEN_PTR], steps)
    _require_all((aligned_within(out_ptr, out_capacity) == 0) & (out_length == out_capacity),
                 lambda i: f"step {i}'s record puts its output outside its slot")
    step_of_word = np.repeat(steps, lengths)
    position = np.arange(len(words)) - starts[step_of_word] - RECORD_HEADER_WORDS
    pairs = np.flatnonzero((position >= 0) & (position % RECORD_INPUT_WORDS == 0))
    readers = step_of_word[pairs]
    read_capacity = length_of(words[pairs + RecordInputField.LEN_PTR], readers)
    _require_all(aligned_within(words[pairs + RecordInputField.PTR], read_capacity) >= 0,
                 lambda i: f"step {readers[i]}'s record reads an input outside the plan's values")


def _check_lifetimes(plan: Plan, columns: _Columns):
    """Each slot's recorded lifetime (written .. last read; the output to the end) is the real one,
    and so is the recorded peak of live bytes; slots live at the same time share no byte. Under
    `keep` every slot counts as live for the whole run."""
    steps = len(plan.steps)
    is_slot, producer, nbytes = columns.is_slot, columns.producer, 4 * columns.capacity
    last_read = np.full(len(plan.values), -1, dtype=np.int64)
    np.maximum.at(last_read, columns.inputs, columns.reader)
    last_read[plan.output] = steps
    expected = np.where(last_read >= 0, last_read, producer)
    _require_all(~is_slot | (columns.live_until == expected),
                 lambda i: f"slot {i} is recorded as live until step {plan.values[i].live_until}, "
                           f"but it is last read at step {expected[i]}")
    slots = np.flatnonzero(is_slot)
    change = np.zeros(steps + 2, dtype=np.int64)
    np.add.at(change, producer[slots], nbytes[slots])
    np.add.at(change, expected[slots] + 1, -nbytes[slots])
    peak = max(0, int(np.cumsum(change).max()))
    _require(plan.peak_live_bytes == peak, f"the recorded peak of {plan.peak_live_bytes} live bytes is not the real {peak}")
    slots = slots[nbytes[slots] > 0]
    if plan.layout == "keep":  # all live together: sorted by address, each must end before the next starts
        by_address = slots[np.lexsort((nbytes[slots], columns.offset[slots]))]
        starts, ends = columns.offset[by_address], columns.offset[by_address] + nbytes[by_address]
        _require_all(ends[:-1] <= starts[1:], lambda i: f"slots {by_address[i]} and {by_address[i + 1]} share memory while both are live")
        return
    _check_live_ranges(columns, slots, expected)


def _check_live_ranges(columns: _Columns, slots: np.ndarray, expected: np.ndarray):
    """Slots live at the same time share no byte, step by step: live byte ranges are kept sorted and
    pairwise disjoint, so a new one overlaps some iff it overlaps a neighbour. At each step the
    slots written there start before those last read there end (an output must miss its inputs)."""
    begins, ends = columns.producer[slots], expected[slots]
    # Events in order of (step, start before end): 2 * step for a start, 2 * step + 1 for an end.
    times = np.concatenate((2 * begins, 2 * ends + 1))
    order = np.argsort(times, kind="stable")
    offsets = columns.offset[slots]
    entries = list(zip(offsets.tolist(), (offsets + 4 * columns.capacity[slots]).tolist(), slots.tolist()))
    live = SortedList()  # a list's inserts would make this quadratic in the slots live at once
    for event in order.tolist():
        if event < len(entries):
            entry = entries[event]
            at = live.bisect(entry)
            for neighbour in live[max(at - 1, 0) : at + 1]:
                _require(neighbour[1] <= entry[0] or entry[1] <= neighbour[0],
                         f"slots {neighbour[2]} and {entry[2]} share memory while both are live")
            live.add(entry)
        else:
            live.discard(entries[event - len(entries)])


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
    columns = _check_fields(plan)
    regions = _check_regions(plan, columns)
    _check_modules(plan)
    _check_values_and_steps(plan, regions, columns)
    _check_records(plan, regions, columns)
    _check_lifetimes(plan, columns)
