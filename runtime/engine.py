"""Replay a plan on one wasmtime Memory shared with the module.

Loading a plan validates it, creates the memory and the instance once, and writes the tables and
constants once. A run is then one call into the module (fused) or one call per step (stepped);
both go through the same dispatcher, so they give the same bytes.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass

import numpy as np
import wasmtime

from ndg.errors import UserError
from ndg.runtime.plan import ABI_VERSION, CONTROL_FIELDS, GUARD_WORD, Plan, module_digest
from ndg.runtime.validate import PlanInvalid, validate_plan
from ndg.runtime.wasm_sections import custom_sections

STATUS_OK, STATUS_CAPACITY, STATUS_BAD_INPUT, STATUS_INVALID = 0, 1, 2, 3
STATUS_BAD_STEP, STATUS_SCRATCH_EXHAUSTED, STATUS_BAD_CONTROL = 4, 5, 6


class RunError(UserError):
    """A node failed while the plan ran; the message names the node as the user wrote it."""


@dataclass(frozen=True)
class _ControlState:
    current_step: int
    status: int
    detail: int
    message: str


def module_kinds(module: bytes) -> tuple[str, ...]:
    section = custom_sections(module).get("ndg_kinds")
    if section is None:
        raise UserError("the module has no ndg_kinds section, so it was not built by ndg for this runtime")
    try:
        kinds = json.loads(section)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise UserError("the module's ndg_kinds section is damaged") from None
    return tuple(kinds)


class Runner:
    """A loaded plan, ready to run any number of times."""

    def __init__(self, plan: Plan, module: bytes, engine: wasmtime.Engine | None = None):
        validate_plan(plan)
        if module_digest(module) != plan.module.sha256:
            raise UserError("the plan's module does not match the SHA-256 recorded in the plan",
                            "the module was changed or swapped; compile the graph again")
        if module_kinds(module) != plan.kinds:
            raise PlanInvalid("its node kinds do not match the module's")
        self.plan = plan
        self.engine = engine or wasmtime.Engine()
        try:
            self.module = wasmtime.Module(self.engine, module)
        except wasmtime.WasmtimeError as error:
            raise UserError(f"the plan's module does not load: {error}") from None
        self._control = plan.region("control").offset
        self._panic_message: str | None = None
        self._instantiate()
        self._write_tables()

    def _instantiate(self):
        self.store = wasmtime.Store(self.engine)
        pages = self.plan.memory_pages
        self.memory = wasmtime.Memory(self.store, wasmtime.MemoryType(wasmtime.Limits(pages, pages)))
        panic = wasmtime.Func(self.store, wasmtime.FuncType([wasmtime.ValType.i32()] * 2, []), self._on_panic)
        provided = {("env", "memory"): self.memory, ("env", "ndg_panic"): panic}
        imports = []
        for wanted in self.module.imports:
            if (wanted.module, wanted.name) not in provided:
                raise UserError(f"the module imports {wanted.module}.{wanted.name}, which ndg does not provide",
                                "a node module may import only env.memory and env.ndg_panic")
            imports.append(provided[(wanted.module, wanted.name)])
        try:
            self.instance = wasmtime.Instance(self.store, self.module, imports)
        except (wasmtime.WasmtimeError, wasmtime.Trap) as error:
            raise PlanInvalid(f"the module does not fit the plan's memory ({error})") from None
        exports = self.instance.exports(self.store)
        heap_base = exports.get("__heap_base")
        static = self.plan.region("static")
        if not isinstance(heap_base, wasmtime.Global) or not 0 <= heap_base.value(self.store) <= static.end:
            raise PlanInvalid("the module's static data does not fit the plan's static region")
        self._run = exports.get("ndg_run")
        if not isinstance(self._run, wasmtime.Func):
            raise PlanInvalid("the module has no ndg_run dispatcher")

    def _on_panic(self, ptr: int, length: int):
        data = self.memory.read(self.store, ptr, ptr + min(length, 4096))
        self._panic_message = bytes(data).decode("utf-8", "replace")

    def _write(self, offset: int, data: bytes):
        self.memory.write(self.store, data, offset)

    def _write_tables(self):
        plan = self.plan
        values, steps, records = plan.region("values"), plan.region("steps"), plan.region("records")
        self._write(self._control, struct.pack(f"<{CONTROL_FIELDS}I", ABI_VERSION, values.offset, len(plan.values),
                                               steps.offset, len(plan.steps), 0, 0, 0, 0))
        table = [(v.offset, v.capacity, v.capacity if v.words is not None else 0) for v in plan.values]
        self._write(values.offset, struct.pack(f"<{3 * len(table)}I", *(w for entry in table for w in entry)))
        addresses, words = [], []
        for record in plan.step_records():
            addresses.append(records.offset + 4 * len(words))
            words.extend(record)
        self._write(steps.offset, struct.pack(f"<{len(addresses)}I", *addresses))
        self._write(records.offset, struct.pack(f"<{len(words)}I", *words))
        for value in plan.values:
            if value.words:
                self._write(value.offset, np.array(value.words, dtype=np.int64).astype("<i4").tobytes())
        for region in plan.regions:
            if region.kind == "guard":
                self._write(region.offset, struct.pack("<I", GUARD_WORD) * (region.size // 4))

    def _read_control(self) -> _ControlState:
        fields = struct.unpack(f"<{CONTROL_FIELDS}I", self.memory.read(self.store, self._control, self._control + 4 * CONTROL_FIELDS))
        message_at = self._control + 4 * CONTROL_FIELDS
        message = bytes(self.memory.read(self.store, message_at, message_at + min(fields[8], 1024)))
        return _ControlState(fields[5], fields[6], fields[7], message.decode("utf-8", "replace"))

    def _call(self, first: int, end: int):
        self._panic_message = None
        try:
            status = self._run(self.store, self._control, first, end)
        except wasmtime.Trap as trap:
            state = self._read_control()
            # The instance is in an unknown state after a trap; start a fresh one on the same plan.
            self._instantiate()
            self._write_tables()
            raise self._failure(state, trap) from None
        if status != STATUS_OK:
            raise self._failure(self._read_control(), None)

    def _failure(self, state: _ControlState, trap: wasmtime.Trap | None) -> RunError:
        if not 0 <= state.current_step < len(self.plan.steps):
            return RunError(f"the module failed outside any step ({trap or state.message})")
        step = self.plan.steps[state.current_step]
        where = f"node `{step.node}` ({self.plan.source}:{step.line})"
        if trap is not None and state.status == STATUS_SCRATCH_EXHAUSTED:
            return RunError(f"{where} ran out of its {state.detail // 1024} KiB scratch heap",
                            "the node allocates too much while it runs; lower the amounts it works on")
        if trap is not None:
            detail = self._panic_message or trap.message.splitlines()[0]
            return RunError(f"{where} {'panicked' if self._panic_message else 'trapped'}: {detail}",
                            "check the values given to this node")
        if state.status == STATUS_CAPACITY:
            return RunError(f"{where} needs more than its {state.detail}-word output slot and was stopped before overrunning it",
                            "its size rule under-counts for these inputs; report this with the graph")
        if state.status == STATUS_BAD_INPUT:
            name = step.input_names[state.detail] if state.detail < len(step.input_names) else f"#{state.detail}"
            return RunError(f"{where} got a malformed value on its input `{name}`",
                            "the node that produced it wrote words its type does not allow")
        if state.status == STATUS_INVALID:
            return RunError(f"{where} refused its inputs: {state.message}", "check the values given to this node")
        return RunError(f"{where}: the plan does not match the module ({state.message})",
                        "compile the graph again with `ndg compile`")

    def run(self, stepped: bool = False) -> np.ndarray:
        """Run every step; return a copy of the output's words."""
        if stepped:
            for index in range(len(self.plan.steps)):
                self._call(index, index + 1)
        else:
            self._call(0, len(self.plan.steps))
        return self.value(self.plan.output)

    def value(self, index: int) -> np.ndarray:
        """The words value `index` holds now (a copy)."""
        value = self.plan.values[index]
        entry = self.plan.region("values").offset + 12 * index
        length = struct.unpack("<I", self.memory.read(self.store, entry + 8, entry + 12))[0]
        data = self.memory.read(self.store, value.offset, value.offset + 4 * min(length, value.capacity))
        return np.frombuffer(bytes(data), dtype="<i4").copy()

    def node_value(self, node: str) -> np.ndarray:
        step = next((s for s in self.plan.steps if s.node == node), None)
        if step is None:
            raise UserError(f"the plan has no node named `{node}`")
        return self.value(step.output)
