"""Replay a plan on one wasmtime Memory shared with the module.

Loading a plan validates it, creates the memory, the instance and numpy views of the memory once,
and writes the tables and constants once. A run is then one call into the module (fused) or one
call per step (stepped); both go through the same dispatcher, so they give the same bytes. Nothing
is allocated per run beyond the few Python objects of the call itself.

Every run is bounded: by default by a deadline in seconds (`timeout`), or by a budget of wasmtime
fuel (about one unit per wasm instruction, the same on every machine) when one is given. A node
that runs too long traps, is named, and the runner stays usable. So does a node that writes the
plan's fixed tables or runs out of stack: their pages are read-only (ndg.runtime.read_only).
"""

from __future__ import annotations

import ctypes
import functools
import json
import re
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import wasmtime

from ndg.errors import UserError
from ndg.runtime.abi import (
    ABI_VERSION,
    BULK_TYPES,
    CONTROL_FIELDS,
    FLAG_COMPAT,
    GUARD_WORD,
    MESSAGE_BYTES,
    RUN_SHIFT,
    STEP_EXPORT,
    VALUE_ENTRY_WORDS,
    WORD_BYTES,
    ControlField,
    RegionKind,
    Status,
    ValueEntryField,
    ValueType,
)
from ndg.runtime.code_cache import load_module
from ndg.runtime.direct_call import Caller
from ndg.runtime.fast_call import fast_call
from ndg.runtime.format import FormatError, split_items
from ndg.runtime.plan import Plan, dispatcher_import, module_digest, split_modules
from ndg.runtime.read_only import OS_PAGE, ReadOnlyPages, compared_spans
from ndg.runtime.sandbox import (
    StopSwitch,
    engine_settings,
    host_memory,
    untrusted_code,
    untrusted_engine,
    untrusted_store,
)
from ndg.runtime.scalars import encode_scalar, scalar_problem
from ndg.runtime.validate import PlanInvalid, module_layout_problem, range_problem, validate_plan
from ndg.runtime.wasm_sections import custom_sections, data_segments, mutable_i32_globals

# Wall time for one run when no fuel budget is given: a real plant takes milliseconds.
DEFAULT_TIMEOUT = 30.0
# Fuel for the module's start code when it is instantiated (a run's budget is set per run).
START_FUEL = 100_000_000
PROVIDED_IMPORTS = (("env", "memory"), ("env", "ndg_panic"))
FIXED_KINDS = (RegionKind.CONSTANTS, RegionKind.PARAMS, RegionKind.STEPS, RegionKind.RECORDS)
# How wasmtime reports a store into a read-only page (or, with guard pages, outside the memory).
_MEMORY_FAULT = re.compile(r"memory fault at wasm address (0x[0-9a-f]+)")


# Node ids of ndg's own library: a fault in one of these is ndg's to fix, in any other its author's.
BUILT_IN = ("max/plantarium/", "ndg/core/")

class RunError(UserError):
    """A node failed while the plan ran; the message names the node as the user wrote it."""


@dataclass(frozen=True)
class _ControlState:
    current_step: int
    status: int
    detail: int
    message: str
    stopped: bool  # by the run's deadline


def module_kinds(module: bytes) -> tuple[str, ...]:
    section = custom_sections(module).get("ndg_kinds")
    if section is None:
        raise UserError("the module has no ndg_kinds section, so it was not built by ndg for this runtime")
    try:
        kinds = json.loads(section)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise UserError("the module's ndg_kinds section is damaged") from None
    if not isinstance(kinds, list) or not all(isinstance(k, str) for k in kinds):
        raise UserError("the module's ndg_kinds section is damaged")
    return tuple(kinds)


def _describe_range(param) -> str:
    if param.min is None and param.max is None:
        return ""
    return f" from {'-∞' if param.min is None else param.min} to {'∞' if param.max is None else param.max}"


class _MemoryBuffer:
    """The memory's bytes for numpy; every view made from it keeps the store (and so the memory)
    alive, so a view held after `close()` still reads valid memory instead of freed memory."""

    def __init__(self, store: wasmtime.Store, address: int, size: int):
        self.store = store
        self.__array_interface__ = {"shape": (size,), "typestr": "|u1", "data": (address, False), "version": 3}


# Plain ints for the per-run path: arithmetic with an IntEnum member costs a lookup each time.
_LEN_FIELD = int(ValueEntryField.LEN)


def run_flags(plan: Plan, run: int) -> int:
    """The control block's flags for run number `run`: compatibility mode, and the run number by
    which node code restarts its per-use call counters."""
    return (FLAG_COMPAT if plan.compat else 0) | (run % (1 << (32 - RUN_SHIFT))) << RUN_SHIFT


def held_words(words: np.ndarray, value_table: int, plan: Plan, index: int) -> np.ndarray:
    """The words value `index` holds now in a memory image (`words` its int32 view, `value_table`
    the value table's first word): as many as its `len` entry says, never past its slot."""
    value = plan.values[index]
    length = words.item(value_table + VALUE_ENTRY_WORDS * index + _LEN_FIELD) & 0xFFFFFFFF
    start = value.offset // WORD_BYTES
    return words[start : start + min(length, value.capacity)]


class Runner:
    """A loaded plan, ready to run any number of times; use it as a context manager or `close()` it.

    `run()` and `value()` return read-only numpy views of the memory, not copies: a view shows
    what the memory holds now, so it is valid until the next run (copy it to keep it).
    """

    def __init__(self, plan: Plan, module: bytes, budget: int | None = None, timeout: float = DEFAULT_TIMEOUT):
        validate_plan(plan)
        node_modules: tuple[bytes, ...] = ()
        if plan.modules:
            module, node_modules = split_modules(plan, module)
        digest = module_digest(module)
        if digest != plan.module.sha256:
            raise UserError("the plan's module does not match the SHA-256 recorded in the plan",
                            "the module was changed or swapped; compile the graph again")
        if not plan.modules and module_kinds(module) != plan.kinds:
            raise PlanInvalid("its node kinds do not match the module's")
        static = plan.region(RegionKind.STATIC)
        # The node modules' shared stack is the static region; a single module's lies below its stack pointer.
        self._stack_bytes = static.end
        if not plan.modules:
            stack_pointers = mutable_i32_globals(module)
            problem = module_layout_problem(static, static, data_segments(module), stack_pointers)
            if problem:
                raise PlanInvalid(f"the module does not keep to the plan's static region: {problem}")
            self._stack_bytes = min(stack_pointers, default=static.end)
        if budget is not None and (not isinstance(budget, int) or budget < 1):
            raise UserError(f"a run's budget must be a positive number of fuel units, not {budget!r}")
        if not isinstance(timeout, (int, float)) or not 0 < timeout < 1e9:
            raise UserError(f"a run's timeout must be a positive number of seconds, not {timeout!r}")
        self.plan = plan
        self.budget = budget
        self.timeout = timeout
        self.metering = "deadline" if budget is None else "fuel"
        self.engine = untrusted_engine(self.metering)
        try:
            self.module, self.code_cached = load_module(self.engine, module, digest, engine_settings(self.metering),
                                                        functools.partial(untrusted_code, self.metering))
        except wasmtime.WasmtimeError as error:
            raise UserError(f"the plan's module does not load: {error}") from None
        self._node_modules = tuple(_load_node_module(self.engine, self.metering, plan, index, data)
                                   for index, data in enumerate(node_modules))
        self._node_steps: tuple[Caller, ...] = ()
        self._control = plan.region(RegionKind.CONTROL).offset
        self._flags_word = self._control // WORD_BYTES + int(ControlField.FLAGS)
        self._value_table = plan.region(RegionKind.VALUES).offset // WORD_BYTES
        self._output_length_word = self._value_table + VALUE_ENTRY_WORDS * plan.output + _LEN_FIELD
        self._guards = [r for r in plan.regions if r.kind == RegionKind.GUARD]
        self._params = {p.name: p for p in plan.params}
        self._param_indices = {p.value for p in plan.params}
        # The tables no node may change: adjacent ones (the planner lays them out together) as one
        # span, whose whole pages are read-only during runs and whose edges are compared after every
        # run, each edge whole (`_check_fixed_words`), with no per-table overhead (numpy's comparison
        # of four small tables cost 8 µs a run). Guard words (one region per slot: thousands) are
        # left to `--check`, which compares them after every step; gathering them cost twice a
        # 10,000-step chain's own run.
        self._fixed_regions = [r for r in plan.regions if r.kind in FIXED_KINDS]
        self._fixed_spans = _fixed_spans(plan)
        self._compared_spans = compared_spans(self._fixed_spans)
        self._param_words: dict[int, tuple[int, ...]] = {}
        # Partial re-runs: which parameter values changed since the last complete run.
        # Only when every output survives the whole run can a partial run reuse the others' values.
        self._can_rerun_part = plan.layout == "keep"
        # A per-use expression's program may read any parameter (by value index), and a step that
        # evaluates one draws random numbers with its kind's call counter, which a run starts at 0
        # and every such step of the kind moves on: so after any change, every expression counts
        # as changed, and every step that draws runs again, in order, with what depends on it.
        self._expressions = frozenset(index for index, value in enumerate(plan.values)
                                      if value.type == ValueType.EXPRESSION)
        self._runs = 0
        self._dirty: set[int] = set()
        self._every_step = ((0, len(plan.steps)),)
        self._partial_ranges: dict[frozenset[int], tuple[tuple[int, int], ...]] = {}
        self._current = False
        self._panic_message: str | None = None
        self._closed = False
        self._instantiate()
        self._write_tables()

    # -- loading ---------------------------------------------------------------------------

    def _instantiate(self):
        self.store = untrusted_store(self.engine, self.plan.memory_bytes, 1 + len(self.plan.modules))
        self.memory = host_memory(self.store, self.plan.memory_pages)
        address = ctypes.addressof(self.memory.data_ptr(self.store).contents)
        self._read_only = ReadOnlyPages(address, self._fixed_spans)
        self._stop = StopSwitch(self.store, self._read_only) if self.metering == "deadline" else None
        self._bound(START_FUEL)  # the module's own start code is bounded too
        # The store keeps its host functions until it is deleted: a weak reference lets the runner
        # (and so the store) go away when the user lets go of it.
        owner = weakref.ref(self)
        panic = wasmtime.Func(self.store, wasmtime.FuncType([wasmtime.ValType.i32()] * 2, []),
                              lambda ptr, length: owner()._on_panic(ptr, length))
        provided = dict(zip(PROVIDED_IMPORTS, (self.memory, panic)))
        if self.plan.modules:
            # The node modules first: the dispatcher imports their step functions.
            steps = [self._instantiate_node(kind, provided) for kind in range(len(self.plan.kinds))]
            provided.update({(dispatcher_import(kind), STEP_EXPORT): step for kind, step in enumerate(steps)})
            self._node_steps = tuple(_bind(self.store, step, 2, f"the {STEP_EXPORT} function of node `{node}`")
                                     for step, node in zip(steps, self.plan.kinds))
        self.instance = self._instance(self.module, provided, "the module")
        exports = self.instance.exports(self.store)
        if not self.plan.modules:
            heap_base = exports.get("__heap_base")
            static = self.plan.region(RegionKind.STATIC)
            if not isinstance(heap_base, wasmtime.Global) or not 0 <= heap_base.value(self.store) <= static.end:
                raise PlanInvalid("the module's static data does not fit the plan's static region")
        self._run = _bind(self.store, exports.get("ndg_run"), 3, "the module's ndg_run dispatcher")
        self._bytes = np.asarray(_MemoryBuffer(self.store, address, self.memory.data_len(self.store)))
        self._words = self._bytes.view("<i4")
        self._u32 = self._bytes.view("<u4")
        # What `value()` slices: its slices are read-only with no flag to set on each.
        self._read_only_words = self._words.view()
        self._read_only_words.flags.writeable = False
        self._output: tuple[int, np.ndarray] | None = None  # `_output_words()`: (length, view) of this memory
        self._current = False

    def _instance(self, module: wasmtime.Module, provided: dict, what: str) -> wasmtime.Instance:
        imports = []
        for wanted in module.imports:
            if (wanted.module, wanted.name) not in provided:
                raise UserError(f"{what} imports {wanted.module}.{wanted.name}, which ndg does not provide",
                                "a node module may import only env.memory and env.ndg_panic")
            imports.append(provided[(wanted.module, wanted.name)])
        try:
            return wasmtime.Instance(self.store, module, imports)
        except wasmtime.Trap as trap:
            if trap.trap_code == wasmtime.TrapCode.OUT_OF_FUEL:
                raise PlanInvalid(f"{what} ran its start code past the {START_FUEL:,} fuel units it may use") from None
            if self._stop is not None and self._stop.stopped:
                raise PlanInvalid(f"{what} ran its start code past the {self.timeout:g}-second timeout") from None
            raise PlanInvalid(f"{what} trapped in its start code ({trap.message.splitlines()[0]})") from None
        except wasmtime.WasmtimeError as error:
            raise PlanInvalid(f"{what} does not fit the plan's memory, tables or instances ({error})") from None

    def _instantiate_node(self, kind: int, provided: dict):
        node = self.plan.kinds[kind]
        exports = self._instance(self._node_modules[kind], provided, f"the module of node `{node}`").exports(self.store)
        heap_base, step = exports.get("__heap_base"), exports.get(STEP_EXPORT)
        region = next(r for r in self.plan.regions if r.kind == RegionKind.MODULE and r.name == node)
        if not isinstance(heap_base, wasmtime.Global) or not region.offset <= heap_base.value(self.store) <= region.end:
            raise PlanInvalid(f"the module of node `{node}` has its heap base outside its static region")
        return step

    def _on_panic(self, ptr: int, length: int):
        if 0 <= ptr < len(self._bytes):
            data = self._bytes[ptr : ptr + min(length, 4096)]
            self._panic_message = data.tobytes().decode("utf-8", "replace")

    def _write_words(self, offset: int, words) -> None:
        self._words[offset // 4 : offset // 4 + len(words)] = np.array(words, dtype=np.int64).astype("<i4")

    def _write_tables(self):
        with self._read_only.writable():
            self._write_fixed_tables()
        self._remember_fixed_words()

    def _write_fixed_tables(self):
        plan = self.plan
        values, steps, records = plan.region(RegionKind.VALUES), plan.region(RegionKind.STEPS), plan.region(RegionKind.RECORDS)
        control = [0] * CONTROL_FIELDS
        control[ControlField.ABI_VERSION] = ABI_VERSION
        control[ControlField.VALUES], control[ControlField.N_VALUES] = values.offset, len(plan.values)
        control[ControlField.STEPS], control[ControlField.N_STEPS] = steps.offset, len(plan.steps)
        control[ControlField.FLAGS] = FLAG_COMPAT if plan.compat else 0
        self._write_words(self._control, control)
        table = [0] * (VALUE_ENTRY_WORDS * len(plan.values))
        for index, value in enumerate(plan.values):
            entry = VALUE_ENTRY_WORDS * index
            table[entry + ValueEntryField.PTR] = value.offset
            table[entry + ValueEntryField.CAPACITY] = value.capacity
            table[entry + ValueEntryField.LEN] = value.capacity if value.words is not None else 0
        self._write_words(values.offset, table)
        step_records = plan.step_records()
        self._write_words(steps.offset, records.offset + 4 * step_records.starts)
        self._write_words(records.offset, step_records.words)
        for index, value in enumerate(plan.values):
            if value.words:
                self._write_words(value.offset, self._param_words.get(index, value.words))
        for guard in self._guards:
            self._u32[guard.offset // 4 : guard.end // 4] = GUARD_WORD

    # -- parameters --------------------------------------------------------------------------

    def set_param(self, name: str, value) -> None:
        """Give parameter `name` a new value for the following runs (type- and range-checked)."""
        self._ensure_open()
        param = self._params.get(name)
        if param is None:
            known = ", ".join(f"`{p}`" for p in self._params) or "none"
            raise UserError(f"the plan has no parameter `{name}`", f"its parameters are: {known}")
        problem = scalar_problem(param.type, value) or range_problem(param, value)
        if problem:
            raise UserError(f"parameter `{name}` ({param.type}{_describe_range(param)}) cannot be {value!r}: {problem}",
                            f"give `{name}` a value of type {param.type}{_describe_range(param)}")
        words = encode_scalar(param.type, value)
        offset = self.plan.values[param.value].offset // 4
        if tuple(int(w) for w in self._words[offset : offset + len(words)]) == tuple(words):
            return
        self._param_words[param.value] = words
        with self._read_only.writable(offset * 4, (offset + len(words)) * 4):
            self._write_words(offset * 4, words)
        self._remember_fixed_words()
        self._dirty.add(param.value)

    def steps_to_update(self) -> list[int]:
        """The steps the next run executes: all of them, or after parameter changes in a plan
        whose slots are all kept, only those that depend on a changed parameter."""
        return [index for first, end in self._ranges(full=False) for index in range(first, end)]

    def _ranges(self, full: bool) -> tuple[tuple[int, int], ...]:
        if full or not (self._current and self._can_rerun_part):
            return self._every_step
        changed = frozenset(self._dirty)
        ranges = self._partial_ranges.get(changed)
        if ranges is None:
            if len(self._partial_ranges) >= 64:
                self._partial_ranges.clear()
            ranges = self._partial_ranges[changed] = _ranges(self._dependent_steps(changed))
        return ranges

    def _dependent_steps(self, changed: frozenset[int]) -> list[int]:
        reached = set(changed) | (self._expressions if changed else set())
        chosen = []
        for index, step in enumerate(self.plan.steps):  # steps are in dependency order
            if reached.intersection(step.inputs):
                chosen.append(index)
                reached.add(step.output)
        return chosen

    # -- running ---------------------------------------------------------------------------

    def _read_control(self) -> _ControlState:
        at = self._control // WORD_BYTES
        fields = [int(w) for w in self._u32[at : at + CONTROL_FIELDS]]
        message_at = self._control + WORD_BYTES * CONTROL_FIELDS
        message_len = min(fields[ControlField.MESSAGE_LEN], MESSAGE_BYTES)
        message = self._bytes[message_at : message_at + message_len].tobytes()
        return _ControlState(fields[ControlField.CURRENT_STEP], fields[ControlField.STATUS], fields[ControlField.DETAIL],
                             message.decode("utf-8", "replace"), self._stop is not None and self._stop.stopped)

    def _step_call(self, index: int) -> tuple[Caller, tuple[int, ...]]:
        """The function and arguments of the host call that runs step `index` alone: in a per-node
        plan, a direct call into the module of the step's kind."""
        if self._node_steps:
            return self._node_steps[self.plan.steps[index].kind], (self._control, index)
        return self._run, (self._control, index, index + 1)

    def _call_step(self, index: int):
        function, arguments = self._step_call(index)
        self._invoke(function, *arguments)

    def _call_each_step(self, first: int, end: int):
        """Steps `first` to `end`, one host call each."""
        if self._node_steps:
            for index in range(first, end):
                self._call_step(index)
        else:
            self._invoke(self._run.each_step, self._control, first, end)

    def _invoke(self, call: Callable[..., int], *args: int):
        """`call(*args)`, which returns a run's status; a failure is raised as a RunError naming the node."""
        self._panic_message = None
        try:
            status = call(*args)
        except wasmtime.Trap as trap:
            state = self._read_control()
            # The instance is in an unknown state after a trap; start a fresh one on the same plan.
            self._instantiate()
            self._write_tables()
            raise self._failure(state, trap) from None
        if status != Status.OK:
            raise self._failure(self._read_control(), None)

    def _where(self, index: int) -> str:
        step = self.plan.steps[index]
        return f"node `{step.node}` ({self.plan.source}:{step.line})"

    def _failure(self, state: _ControlState, trap: wasmtime.Trap | None) -> RunError:
        if not 0 <= state.current_step < len(self.plan.steps):
            return RunError(f"the module failed outside any step ({trap or state.message})")
        step = self.plan.steps[state.current_step]
        where = self._where(state.current_step)
        if trap is not None and trap.trap_code == wasmtime.TrapCode.OUT_OF_FUEL:
            return RunError(f"{where} exceeded its budget (the run's {self.budget:,} fuel units ran out)",
                            "raise it with `--budget`, or lower the amounts the node works on")
        if trap is not None and state.stopped:
            return RunError(f"{where} was still running when the run's {self.timeout:g}-second timeout passed",
                            "raise it with `--timeout`, or lower the amounts the node works on")
        written = _read_only_write(trap, self._read_only) if trap is not None else None
        if written is not None and written < OS_PAGE:
            return RunError(f"{where} ran out of its {self._stack_bytes // 1024} KiB stack (it wrote at address {written}, "
                            "on the stack's lowest page, which is read-only)",
                            "the node recurses too deeply for these inputs: lower the amounts it works on; if it does "
                            "not recurse, report this with the graph: its code writes where it must not")
        if written is not None:
            index = self._fixed_value_at(written)
            what = (f"over {self._describe_slot(index)}" if index is not None
                    else f"outside its output slot (over {self._table_at(written)} at {written})")
            return RunError(f"{where} wrote {what}", "report this with the graph: the node's code writes outside its output slot")
        if trap is not None and state.status == Status.SCRATCH_EXHAUSTED:
            return RunError(f"{where} ran out of its {state.detail // 1024} KiB scratch heap",
                            "the node allocates too much while it runs; lower the amounts it works on")
        if trap is not None and self._panic_message:
            return RunError(f"{where} panicked: {self._panic_message}", "check the values given to this node")
        if trap is not None:
            return RunError(f"{where} trapped: {_describe_trap(trap)}", "check the values given to this node")
        if state.status == Status.CAPACITY:
            kind = self.plan.kinds[step.kind]
            blame = ("its size rule under-counts for these inputs; report this with the graph" if kind.startswith(BUILT_IN)
                     else f"the node `{kind}` is at fault: its size rule (`size` in its definition.json) under-counts "
                          "what its code writes for these inputs; fix the rule or the code")
            return RunError(f"{where} needs more than its {state.detail}-word output slot and was stopped before overrunning it",
                            blame)
        if state.status == Status.BAD_INPUT:
            name = step.input_names[state.detail] if state.detail < len(step.input_names) else f"#{state.detail}"
            return RunError(f"{where} got a malformed value on its input `{name}`",
                            "the node that produced it wrote words its type does not allow")
        if state.status == Status.INVALID:
            return RunError(f"{where} refused its inputs: {state.message}", "check the values given to this node")
        return RunError(f"{where}: the plan does not match the module ({state.message})",
                        "compile the graph again with `ndg compile`")

    def _check_step(self, index: int, finished: dict[int, np.ndarray]):
        """After step `index`: every finished slot (`finished`: its words when it was written) and
        every guard word unchanged, and a bulk output in the word format."""
        self._check_guards(self._where(index))
        for value_index, words in finished.items():
            if not np.array_equal(self._slot(value_index), words):
                raise RunError(f"{self._where(index)} wrote over {self._describe_slot(value_index)}",
                               "report this with the graph: the node's code writes outside its output slot")
        output = self.plan.values[self.plan.steps[index].output]
        if output.type in BULK_TYPES:
            try:
                split_items(self.value(self.plan.steps[index].output))
            except FormatError as error:
                raise RunError(f"{self._where(index)} wrote a malformed {output.type}: {error}",
                               "the node breaks the word format; report this with the graph") from None

    def _check_guards(self, who: str):
        for guard in self._guards:
            if np.any(self._u32[guard.offset // 4 : guard.end // 4] != GUARD_WORD):
                raise RunError(f"{who} wrote outside its output slot (over the guard words at {guard.offset})",
                               "report this with the graph: the node's wrapper let it overrun")

    def _check_fixed_words(self):
        """After an unchecked run: the parts of the constants, parameters and step tables (and the
        padding between them) that are not on read-only pages are as written. Overruns elsewhere
        are found by `--check`, which compares every finished slot and the guard words after each
        step."""
        for live, kept in self._kept_fixed_words:
            if live.tobytes() != kept:
                break
        else:
            return
        for (offset, end), (_, kept) in zip(self._compared_spans, self._kept_fixed_words):
            differs = self._bytes[offset:end] != np.frombuffer(kept, dtype=np.uint8)
            if differs.any():
                changed = offset + int(np.argmax(differs)) // WORD_BYTES * WORD_BYTES
                break
        # The next run starts from the plan's tables and constants again, and runs every step.
        self._write_tables()
        self._current = False
        hint = "run with --check to find which node; report this with the graph"
        index = self._fixed_value_at(changed)
        if index is not None:
            raise RunError(f"a node wrote over {self._describe_slot(index)} during the run", hint)
        raise RunError(f"a node wrote outside its output slot (over {self._table_at(changed)} at {changed})", hint)

    def _fixed_value_at(self, address: int) -> int | None:
        """The constant or parameter holding `address`, if one does."""
        return next((index for index, value in enumerate(self.plan.values)
                     if value.words is not None and value.offset <= address < value.offset + WORD_BYTES * value.capacity), None)

    def _table_at(self, address: int) -> str:
        region = next((r for r in self._fixed_regions if r.offset <= address < r.end), None)
        return f"the plan's {region.kind} table" if region else "the padding between the plan's tables"

    def _remember_fixed_words(self):
        # Copied and compared as bytes: in a plan the planner made, what is compared is the edges of
        # one span, less than two pages each: 60 ns for a real plant's tables (a call to memcmp
        # costs 280 ns on its own; the whole 480 KB of a 10,000-step chain's records took 11 µs).
        live = memoryview(self._bytes)
        self._kept_fixed_words = [(live[offset:end], live[offset:end].tobytes()) for offset, end in self._compared_spans]

    def _slot(self, index: int) -> np.ndarray:
        value = self.plan.values[index]
        return self._words[value.offset // 4 : value.offset // 4 + value.capacity]

    def _describe_slot(self, index: int) -> str:
        value = self.plan.values[index]
        if value.producer is not None:
            return f"the output of {self._where(value.producer)}"
        return f"a {'parameter' if index in self._param_indices else 'constant'} ({value.type} at {value.offset})"

    def _run_checked(self, steps: list[int]) -> None:
        """Step by step, comparing after each step every slot that must not change any more:
        constants, parameters, outputs already written and still to be read."""
        running = set(steps)
        finished = {index: self._slot(index).copy() for index, value in enumerate(self.plan.values)
                    if value.words is not None or value.producer not in running}
        ends: dict[int, list[int]] = {}
        if self.plan.layout != "keep":
            for index, value in enumerate(self.plan.values):
                if value.producer is not None:
                    ends.setdefault(value.live_until, []).append(index)
        for index in steps:
            self._call_step(index)
            self._check_step(index, finished)
            finished[self.plan.steps[index].output] = self._slot(self.plan.steps[index].output).copy()
            for ended in ends.get(index, ()):
                finished.pop(ended, None)

    def _begin_run(self):
        """The run's bound (fuel, or the timeout from now), and a new run number in the control
        block's flags."""
        self._bound(self.budget)
        self._runs += 1
        self._u32[self._flags_word] = run_flags(self.plan, self._runs)

    def _bound(self, fuel: int | None) -> None:
        """Start the bound of what runs next: `fuel` units, or the timeout from now."""
        if self._stop is None:
            self.store.set_fuel(fuel)
        else:
            self._stop.arm(self.timeout)

    def _ensure_open(self):
        if self._closed:
            raise UserError("this runner is closed", "load the plan again to run it")

    def run(self, stepped: bool = False, check: bool = False, full: bool = False) -> np.ndarray:
        """Run the plan and return a read-only view of the output's words.

        Only the steps that depend on parameters changed since the last run execute, unless
        `full` is set (or the plan reuses slots). `stepped` calls the module once per step;
        `check` also validates every bulk output and the guard words after each step.
        """
        self._ensure_open()
        ranges = self._ranges(full)
        self._begin_run()
        self._current = False
        if check:
            self._run_checked([index for first, end in ranges for index in range(first, end)])
        else:
            for first, end in ranges:
                if stepped:
                    self._call_each_step(first, end)
                else:
                    self._invoke(self._run, self._control, first, end)
            self._check_fixed_words()
        self._dirty.clear()
        self._current = True
        return self._output_words()

    def _output_words(self) -> np.ndarray:
        """`value(plan.output)`, the view made again only when the output's length changed: making
        it took 0.4 µs, a third of a small plan's host work per run."""
        length = self._u32.item(self._output_length_word)
        if self._output is None or self._output[0] != length:
            self._output = (length, self.value(self.plan.output))
        return self._output[1]

    def call_module(self) -> None:
        """Every step in one call into the module, bounded and numbered as `run()` does, but
        without `run()`'s checks after the call and without its result: what the engine itself
        takes, for benchmarks (bench/bench_engines.py). The next `run()` runs every step."""
        self._ensure_open()
        self._begin_run()
        self._current = False
        self._invoke(self._run, self._control, 0, len(self.plan.steps))

    def profile(self, repeats: int = 5) -> list[int]:
        """Each step's own time in nanoseconds: the best of `repeats` stepped runs, one host call
        per step, each timed in C around the call alone, less the cost of an empty call
        (`call_cost()`, about 70 ns against a scalar node's 5–130); never below zero."""
        self._ensure_open()
        call = self.call_cost()
        best = [float("inf")] * len(self.plan.steps)
        self._current = False
        for _ in range(repeats):
            self._begin_run()
            for index, (function, arguments) in enumerate([self._step_call(i) for i in range(len(best))]):
                best[index] = min(best[index], self._timed(function, *arguments))
        self._dirty.clear()
        self._current = True
        return [max(0, int(took) - call) for took in best]

    def fused_time(self, repeats: int = 5, with_call: bool = False) -> int:
        """A whole run's time in the module in nanoseconds, timed as `profile()` times a step: the
        best of `repeats` fused calls of every step, less `call_cost()`. What `profile()`'s node
        times add up to, but for the steps' own set-up each. `with_call` keeps the host call's own
        cost in, as an engine called from its own host language is timed (bench/bench_engines.py)."""
        self._ensure_open()
        call = 0 if with_call else self.call_cost()
        best = float("inf")
        self._current = False
        for _ in range(repeats):
            self._begin_run()
            best = min(best, self._timed(self._run, self._control, 0, len(self.plan.steps)))
        self._dirty.clear()
        self._current = True
        return max(0, int(best) - call)

    def call_cost(self, repeats: int = 50) -> int:
        """The fixed cost in nanoseconds of one host→wasm call, timed as `profile()` times a step:
        the best of `repeats` calls that run no step."""
        self._ensure_open()
        self._bound(self.budget)
        return min(self._timed(self._run, self._control, 0, 0) for _ in range(repeats))

    def _timed(self, function: Caller, *arguments: int) -> int:
        """One call of `function`, made as `_invoke` makes it, and its own time in nanoseconds,
        measured in C around the call: Python's work before and after it is not counted."""
        self._invoke(function.timed, *arguments)
        return function.last_ns

    def empty_call(self) -> None:
        """One call into the module that runs no step: the fixed cost of a host→wasm call."""
        self._ensure_open()
        self._bound(self.budget)
        self._invoke(self._run, self._control, 0, 0)

    def value(self, index: int) -> np.ndarray:
        """A read-only view of the words value `index` holds now."""
        self._ensure_open()
        return held_words(self._read_only_words, self._value_table, self.plan, index)

    def memory_image(self) -> np.ndarray:
        """A copy of the whole memory: the plan's tables, constants and parameters as written for
        the next run, and the slots as the last run left them. Another engine given these bytes
        runs the same plan (ndg/native.py)."""
        self._ensure_open()
        return self._bytes.copy()

    def node_value(self, node: str) -> np.ndarray:
        # The latest run: compatibility mode may run a node several times.
        step = next((s for s in reversed(self.plan.steps) if s.node == node), None)
        if step is None:
            raise UserError(f"the plan has no node named `{node}`")
        return self.value(step.output)

    # -- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        """Release the instance and the memory now (views still held keep the memory until they go)."""
        if not self._closed:
            self._closed = True
            del (self.instance, self._run, self._node_steps, self.memory, self._bytes, self._words, self._u32,
                 self._read_only_words, self._output, self._kept_fixed_words, self._stop, self._read_only, self.store)

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _describe_trap(trap: wasmtime.Trap) -> str:
    if trap.trap_code == wasmtime.TrapCode.MEMORY_OUT_OF_BOUNDS:
        # Every stack grows down to address 0 (the plan's layout), so an overflow ends here too.
        return "out of bounds memory access (outside the memory, or below address 0: recursion deeper than its stack)"
    if trap.trap_code is not None:
        return trap.trap_code.name.lower().replace("_", " ")
    return trap.message.splitlines()[0]


def _read_only_write(trap: wasmtime.Trap, pages: ReadOnlyPages) -> int | None:
    """The address of a store into one of `pages`' read-only ranges that made `trap`, if it did."""
    fault = _MEMORY_FAULT.search(trap.message)
    if fault is None or pages.range_of(int(fault.group(1), 16)) is None:
        return None
    return int(fault.group(1), 16)


def _load_node_module(engine: wasmtime.Engine, metering: str, plan: Plan, index: int, data: bytes) -> wasmtime.Module:
    """A per-node plan's module for kind `index`, checked against the plan before it is compiled:
    its digest, and its static data, stack and heap base all inside its own region."""
    recorded = plan.modules[index]
    if module_digest(data) != recorded.sha256:
        raise UserError(f"the module of node `{recorded.node}` does not match the SHA-256 recorded in the plan",
                        "the module was changed or swapped; compile the graph again")
    region = next(r for r in plan.regions if r.kind == RegionKind.MODULE and r.name == recorded.node)
    problem = module_layout_problem(region, plan.region(RegionKind.STATIC), data_segments(data), mutable_i32_globals(data))
    if problem:
        raise PlanInvalid(f"the module of node `{recorded.node}` does not keep to its static region: {problem}")
    try:
        return load_module(engine, data, recorded.sha256, engine_settings(metering),
                           functools.partial(untrusted_code, metering))[0]
    except wasmtime.WasmtimeError as error:
        raise UserError(f"the module of node `{recorded.node}` does not load: {error}") from None


def _bind(store: wasmtime.Store, function, arity: int, what: str) -> Caller:
    if not isinstance(function, wasmtime.Func):
        raise PlanInvalid(f"{what} is missing")
    try:
        return fast_call(store, function, arity)
    except TypeError as error:
        raise PlanInvalid(f"{what} has the wrong signature ({error})") from None


def _fixed_spans(plan: Plan) -> list[tuple[int, int]]:
    """The fixed tables (`FIXED_KINDS`) as [offset, end) byte spans, adjacent tables merged into
    one span when no other region lies between them."""
    spans: list[tuple[int, int]] = []
    follows = False  # the previous region was a fixed table
    for region in sorted(plan.regions, key=lambda r: r.offset):
        fixed = region.kind in FIXED_KINDS
        if fixed and follows:
            spans[-1] = (spans[-1][0], region.end)
        elif fixed:
            spans.append((region.offset, region.end))
        follows = fixed
    return spans


def _ranges(steps: list[int]) -> tuple[tuple[int, int], ...]:
    """Consecutive step indices as [first, end) ranges: one module call per range."""
    ranges: list[tuple[int, int]] = []
    for index in steps:
        if ranges and ranges[-1][1] == index:
            ranges[-1] = (ranges[-1][0], index + 1)
        else:
            ranges.append((index, index + 1))
    return tuple(ranges)
