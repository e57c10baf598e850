"""The planner: every value's size and address, fixed before the run.

Memory map, in order, each region 16-byte aligned: the module's static region (stack first, then
data and its scratch heap, as linked) or, when every node type is a module of its own, the stack
they share at address 0 and then each module's static region (data and scratch heap), the control block, the value table, the step index and step
records, the constants, the graph parameters, then the node outputs' slots, laid out by
`ndg.compiler.layout` under the chosen policy with guard regions between them. The total is a
whole number of 64 KiB pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from ndg.compiler.expressions import encode_program
from ndg.compiler.ir import Arg, Const, Expression, Graph, GraphParam, ParamRef
from ndg.compiler.layout import RegionAllocator, Slot, peak_live_bytes, place_slots
from ndg.compiler.sizes import BulkValue
from ndg.errors import UserError
from ndg.runtime.abi import (
    CONTROL_BYTES,
    MAX_PAGES,
    PAGE_BYTES,
    SCALAR_WORDS,
    VALUE_ENTRY_BYTES,
    WORD_BYTES,
    RegionKind,
    SlotPolicy,
    ValueType,
)
from ndg.runtime.plan import Module, Param, Plan, Step, Value, record_words
from ndg.runtime.scalars import encode_scalar


@dataclass(frozen=True)
class ModuleStatic:
    """A per-node module's static region: its size, and its fixed offset for a prebuilt module
    (None for one ndg links where the plan says)."""

    node: str
    size: int
    offset: int | None = None


@dataclass(frozen=True)
class ModuleInfo:
    """What the planner needs to know of the built module."""

    sha256: str
    size: int
    kinds: tuple[str, ...]
    static_end: int
    min_pages: int
    # Per-node modules: the static region each node's module needs.
    statics: tuple[ModuleStatic, ...] = ()


@dataclass(frozen=True)
class ConstantEntry:
    """A constant argument; equal constants share one entry."""

    type: ValueType
    words: tuple[int, ...]


@dataclass(frozen=True)
class ParamEntry:
    """A graph parameter, holding its default until a run changes it."""

    name: str
    type: ValueType
    words: tuple[int, ...]


@dataclass(frozen=True)
class SlotEntry:
    """The output slot of the node run by step `producer`."""

    node: str
    type: ValueType
    capacity: int
    producer: int


Entry = ConstantEntry | ParamEntry | SlotEntry


class ValueTable:
    """The plan's values in index order: every constant, then every parameter, then every per-use
    expression (constants too), then every slot."""

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        self._constants: dict[ConstantEntry, int] = {}
        self._params: dict[str, int] = {}
        self._slots: dict[str, int] = {}
        self._expressions: dict[tuple, int] = {}

    def _add(self, entry: Entry) -> int:
        self.entries.append(entry)
        return len(self.entries) - 1

    def add_constant(self, const: Const) -> None:
        entry = ConstantEntry(ValueType(const.type), encode_scalar(const.type, const.value))
        if entry not in self._constants:
            self._constants[entry] = self._add(entry)

    def add_param(self, param: GraphParam) -> None:
        self._params[param.name] = self._add(ParamEntry(param.name, param.type, encode_scalar(param.type, param.default)))

    def add_expression(self, expression: Expression) -> None:
        """A per-use program, a constant too; it names the parameters it reads by their index, so
        every parameter must be in the table first."""
        key = (expression.type, expression.parts)
        if key not in self._expressions:
            entry = ConstantEntry(ValueType.EXPRESSION, encode_program(expression, self._params))
            if entry not in self._constants:
                self._constants[entry] = self._add(entry)
            self._expressions[key] = self._constants[entry]

    def add_slot(self, node: str, type_: ValueType, capacity: int, producer: int) -> int:
        self._slots[node] = self._add(SlotEntry(node, type_, capacity, producer))
        return self._slots[node]

    def index_of(self, arg: Arg) -> int:
        if isinstance(arg, Const):
            return self._constants[ConstantEntry(ValueType(arg.type), encode_scalar(arg.type, arg.value))]
        if isinstance(arg, ParamRef):
            return self.param_index(arg.name)
        if isinstance(arg, Expression):
            return self._expressions[(arg.type, arg.parts)]
        return self.slot_index(arg.node)

    def param_index(self, name: str) -> int:
        return self._params[name]

    def slot_index(self, node: str) -> int:
        return self._slots[node]

    def words_of(self, kind: type[ConstantEntry] | type[ParamEntry]) -> int:
        return sum(len(e.words) for e in self.entries if isinstance(e, kind))


def live_until(steps: list[Step], output: int) -> dict[int, int]:
    """Each slot's last reading step; the output is read after the last step."""
    last = {step.output: index for index, step in enumerate(steps)}
    for index, step in enumerate(steps):
        for value in step.inputs:
            last[value] = index
    last[output] = len(steps)
    return last


def plan_graph(graph: Graph, shapes: dict[str, BulkValue], module: ModuleInfo, module_path: str | None = None,
               policy: SlotPolicy = SlotPolicy.KEEP) -> Plan:
    """Lay out an ordered, typed graph over the given module; `shapes` are its bulk values' shapes
    (`sizes.graph_shapes`), `policy` says how the slots are laid out."""
    kinds = {kind: index for index, kind in enumerate(module.kinds)}
    table = ValueTable()
    for node in graph.nodes.values():
        for arg in node.args.values():
            if isinstance(arg, Const):
                table.add_constant(arg)
    for param in graph.params.values():
        table.add_param(param)
    for node in graph.nodes.values():
        for arg in node.args.values():
            if isinstance(arg, Expression):
                table.add_expression(arg)
    steps = []
    # Each run of a node writes a slot of its own and its readers read its latest run's: so a
    # node run twice (compatibility mode) keeps one producer per slot.
    runs = graph.nodes.values() if graph.runs is None else [graph.nodes[name] for name in graph.runs]
    for index, node in enumerate(runs):
        definition = node.definition
        if definition.id not in kinds:
            raise UserError(f"node `{node.name}` is a `{definition.id}`, which the built module does not contain",
                            "rebuild the node library")
        capacity = shapes[node.name].words if node.name in shapes else SCALAR_WORDS[definition.output]
        inputs = tuple(table.index_of(arg) for arg in node.args.values())
        output = table.add_slot(node.name, definition.output, capacity, index)
        steps.append(Step(node.name, kinds[definition.id], output, inputs, tuple(node.args), node.span.line, node.span.col))

    layout = RegionAllocator(0)
    if module.statics:
        # One stack for every node module, at address 0 (stack first, as the single module has it):
        # a node recursing past it traps below address 0 instead of writing over memory.
        layout.take(RegionKind.STATIC, "node modules' shared stack", module.static_end)
        fixed = sorted(((s.offset, s) for s in module.statics if s.offset is not None), key=lambda pair: pair[0])
        for offset, static in fixed:
            layout.take_at(RegionKind.MODULE, static.node, offset, static.size)
        for static in module.statics:
            if static.offset is None:
                layout.take(RegionKind.MODULE, static.node, static.size)
    else:
        layout.take(RegionKind.STATIC, "module static data and stack", module.static_end)
    layout.take(RegionKind.CONTROL, "control block", CONTROL_BYTES)
    layout.take(RegionKind.VALUES, "value table", VALUE_ENTRY_BYTES * len(table.entries))
    layout.take(RegionKind.STEPS, "step index", WORD_BYTES * len(steps))
    layout.take(RegionKind.RECORDS, "step records", WORD_BYTES * sum(record_words(len(s.inputs)) for s in steps))
    constants = layout.take(RegionKind.CONSTANTS, "constants", WORD_BYTES * table.words_of(ConstantEntry))
    params = layout.take(RegionKind.PARAMS, "parameters", WORD_BYTES * table.words_of(ParamEntry))
    output = table.slot_index(graph.output)
    ends = live_until(steps, output)
    slot_entries = [(index, entry) for index, entry in enumerate(table.entries) if isinstance(entry, SlotEntry)]
    slots = [Slot(entry.node, WORD_BYTES * entry.capacity, entry.producer, ends[index]) for index, entry in slot_entries]
    slot_address = {index: address for (index, _), address in zip(slot_entries, place_slots(layout, slots, policy))}
    next_word = {ConstantEntry: constants.offset, ParamEntry: params.offset}
    placed = []
    for index, entry in enumerate(table.entries):
        if isinstance(entry, SlotEntry):
            placed.append(Value(entry.type, slot_address[index], entry.capacity, producer=entry.producer,
                                live_until=ends[index]))
        else:
            placed.append(Value(entry.type, next_word[type(entry)], len(entry.words), words=entry.words))
            next_word[type(entry)] += WORD_BYTES * len(entry.words)

    pages = max(-(-layout.top // PAGE_BYTES), module.min_pages, 1)
    if pages > MAX_PAGES:
        raise UserError(f"the plan needs {layout.top:,} bytes of memory, more than the {MAX_PAGES * PAGE_BYTES:,} "
                        "bytes (1 GiB) the runtime gives a plan",
                        "lower the amounts or resolutions that make the largest outputs, or use --layout reuse")
    return Plan(
        source=graph.source.name,
        module=Module(module.sha256, module.size, module_path),
        kinds=module.kinds,
        memory_pages=pages,
        regions=tuple(layout.regions),
        values=tuple(placed),
        steps=tuple(steps),
        output=output,
        params=tuple(Param(p.name, p.type, table.param_index(p.name), p.min, p.max) for p in graph.params.values()),
        layout=policy,
        peak_live_bytes=peak_live_bytes(slots),
        compat=graph.compat,
    )
