"""The planner: every value's size and address, fixed before the run.

Memory map, in order, each region 16-byte aligned: the module's static region (stack, data and
its scratch heap, as linked) or, when every node type is a module of its own, 16 unused bytes at
address 0 and then each module's static region, the control block, the value table, the step index and step
records, the constants, the graph parameters, then the node outputs' slots, laid out by
`ndg.compiler.layout` under the chosen policy with guard regions between them. The total is a
whole number of 64 KiB pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from ndg.compiler.definitions import SCALAR_WORDS
from ndg.compiler.expressions import encode_program
from ndg.compiler.ir import Const, Expression, Graph, ParamRef
from ndg.compiler.layout import RegionAllocator, Slot, peak_live_bytes, place_slots
from ndg.compiler.passes import COMPAT_SETTING
from ndg.compiler.sizes import BulkValue
from ndg.errors import UserError
from ndg.runtime.plan import (
    ALIGN,
    CONTROL_BYTES,
    PAGE_BYTES,
    VALUE_ENTRY_BYTES,
    Module,
    Param,
    Plan,
    Step,
    Value,
    record_words,
)
from ndg.runtime.scalars import encode_scalar
from ndg.runtime.validate import MAX_PAGES


@dataclass(frozen=True)
class ModuleInfo:
    """What the planner needs to know of the built module."""

    sha256: str
    size: int
    kinds: tuple[str, ...]
    static_end: int
    min_pages: int
    # Per-node modules: each node id, the size of the static region its module needs, and the
    # region's fixed offset for a prebuilt module (None for one ndg links where the plan says).
    statics: tuple[tuple[str, int, int | None], ...] = ()


def encode_const(const: Const) -> tuple[int, ...]:
    return encode_scalar(const.type, const.value)


def live_until(steps: list[Step], output: int) -> dict[int, int]:
    """Each slot's last reading step; the output is read after the last step."""
    last = {step.output: index for index, step in enumerate(steps)}
    for index, step in enumerate(steps):
        for value in step.inputs:
            last[value] = index
    last[output] = len(steps)
    return last


def plan_graph(graph: Graph, shapes: dict[str, BulkValue], module: ModuleInfo, module_path: str | None = None,
               policy: str = "keep") -> Plan:
    """Lay out an ordered, typed graph over the given module; `shapes` are its bulk values' shapes
    (`sizes.graph_shapes`), `policy` (`keep` or `reuse`) says how the slots are laid out."""
    kinds = {kind: index for index, kind in enumerate(module.kinds)}
    constants: dict[tuple[str, tuple[int, ...]], int] = {}
    values: list[dict] = []
    # Per-use expressions name the parameters they read by value index, known once every constant
    # has one: their words are filled in after the parameters are placed.
    expressions: dict[tuple, int] = {}
    for node in graph.nodes.values():
        for arg in node.args.values():
            if isinstance(arg, Const):
                key = (arg.type, encode_const(arg))
                if key not in constants:
                    constants[key] = len(values)
                    values.append({"type": arg.type, "words": key[1], "capacity": len(key[1])})
            elif isinstance(arg, Expression) and (arg.type, arg.parts) not in expressions:
                expressions[(arg.type, arg.parts)] = len(values)
                values.append({"type": "expression", "expression": arg})

    param_of: dict[str, int] = {}
    for param in graph.params.values():
        param_of[param.name] = len(values)
        words = encode_scalar(param.type, param.default)
        values.append({"type": param.type, "words": words, "capacity": len(words), "param": param.name})
    for index in expressions.values():
        words = encode_program(values[index].pop("expression"), param_of)
        values[index].update(words=words, capacity=len(words))
        constants[("expression", words)] = index

    slot_of: dict[str, int] = {}
    capacity: dict[str, int] = {}
    steps = []
    for index, node in enumerate(graph.nodes.values()):
        definition = node.definition
        if definition.id not in kinds:
            raise UserError(f"node `{node.name}` is a `{definition.id}`, which the built module does not contain",
                            "rebuild the node library")
        capacity[node.name] = shapes[node.name].words if node.name in shapes else SCALAR_WORDS[definition.output]
        slot_of[node.name] = len(values)
        values.append({"type": definition.output, "capacity": capacity[node.name], "producer": index, "node": node.name})
        inputs = tuple(constants[(a.type, encode_const(a))] if isinstance(a, Const)
                       else expressions[(a.type, a.parts)] if isinstance(a, Expression)
                       else param_of[a.name] if isinstance(a, ParamRef) else slot_of[a.node]
                       for a in node.args.values())
        steps.append(Step(node.name, kinds[definition.id], slot_of[node.name], inputs, tuple(node.args),
                          node.span.line, node.span.col))

    layout = RegionAllocator(0)
    if module.statics:
        # Address 0 stays unused, so no module's data has the null address.
        layout.take("static", "address 0, never used", ALIGN)
        for node_id, size, offset in sorted((s for s in module.statics if s[2] is not None), key=lambda s: s[2]):
            layout.take_at("module", node_id, offset, size)
        for node_id, size, offset in module.statics:
            if offset is None:
                layout.take("module", node_id, size)
    else:
        layout.take("static", "module static data and stack", module.static_end)
    layout.take("control", "control block", CONTROL_BYTES)
    layout.take("values", "value table", VALUE_ENTRY_BYTES * len(values))
    layout.take("steps", "step index", 4 * len(steps))
    layout.take("records", "step records", 4 * sum(record_words(len(s.inputs)) for s in steps))
    constants_region = layout.take("constants", "constants", 4 * sum(len(k[1]) for k in constants))
    params_region = layout.take("params", "parameters", 4 * sum(v["capacity"] for v in values if "param" in v))
    ends = live_until(steps, slot_of[graph.output])
    slots = [Slot(value["node"], 4 * value["capacity"], value["producer"], ends[index])
             for index, value in enumerate(values) if "words" not in value]
    addresses = iter(place_slots(layout, slots, policy))
    placed = []
    next_offset = {"constants": constants_region.offset, "params": params_region.offset}
    for index, value in enumerate(values):
        if "words" in value:
            table = "params" if "param" in value else "constants"
            placed.append(Value(value["type"], next_offset[table], value["capacity"], words=value["words"]))
            next_offset[table] += 4 * value["capacity"]
        else:
            placed.append(Value(value["type"], next(addresses), value["capacity"], producer=value["producer"],
                                live_until=ends[index]))

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
        output=slot_of[graph.output],
        params=tuple(Param(p.name, p.type, param_of[p.name], p.min, p.max) for p in graph.params.values()),
        layout=policy,
        peak_live_bytes=peak_live_bytes(slots),
        compat=COMPAT_SETTING in graph.settings and graph.settings[COMPAT_SETTING].value is True,
    )
