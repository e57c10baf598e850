"""The planner: every value's size and address, fixed before the run.

Memory map, in order, each region 16-byte aligned: the module's static region (stack, data and
its scratch heap, as linked), the control block, the value table, the step index and step
records, the constants, the graph parameters, then the node outputs' slots, laid out by
`ndg.compiler.layout` under the chosen policy with guard regions between them. The total is a
whole number of 64 KiB pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from ndg.compiler.definitions import RESULT_TYPE, SCALAR_WORDS
from ndg.compiler.ir import Const, Graph, Use
from ndg.compiler.sizes import BulkValue, output_words
from ndg.errors import UserError
from ndg.runtime.scalars import encode_scalar
from ndg.compiler.layout import RegionAllocator, Slot, peak_live_bytes, place_slots
from ndg.runtime.plan import CONTROL_BYTES, PAGE_BYTES, VALUE_ENTRY_BYTES, Module, Plan, Step, Value

WASM32_PAGES = 65536


@dataclass(frozen=True)
class ModuleInfo:
    """What the planner needs to know of the built module."""

    sha256: str
    size: int
    kinds: tuple[str, ...]
    static_end: int
    min_pages: int


def encode_const(const: Const) -> tuple[int, ...]:
    return encode_scalar(const.type, const.value)


def _size_env(node, graph: Graph, capacity: dict[str, int]) -> dict:
    """Inputs a size rule can read: constant scalars, and the size of bulk inputs. Scalars made by
    other nodes are only known at run time and are left out."""
    env = {}
    for name, arg in node.args.items():
        if isinstance(arg, Const):
            env[name] = arg.value
            continue
        producer = graph.nodes[arg.node].definition
        if producer.output not in SCALAR_WORDS:
            env[name] = BulkValue(capacity[arg.node], "list" if producer.output == RESULT_TYPE else producer.layout)
    return env


def live_until(steps: list[Step], output: int) -> dict[int, int]:
    """Each slot's last reading step; the output is read after the last step."""
    last = {step.output: index for index, step in enumerate(steps)}
    for index, step in enumerate(steps):
        for value in step.inputs:
            last[value] = index
    last[output] = len(steps)
    return last


def plan_graph(graph: Graph, module: ModuleInfo, module_path: str | None = None, policy: str = "keep") -> Plan:
    """Lay out an ordered, typed graph over the given module; `policy` (`keep` or `reuse`) says how
    the slots are laid out."""
    kinds = {kind: index for index, kind in enumerate(module.kinds)}
    constants: dict[tuple[str, tuple[int, ...]], int] = {}
    values: list[dict] = []
    for node in graph.nodes.values():
        for arg in node.args.values():
            if isinstance(arg, Const):
                key = (arg.type, encode_const(arg))
                if key not in constants:
                    constants[key] = len(values)
                    values.append({"type": arg.type, "words": key[1], "capacity": len(key[1])})

    slot_of: dict[str, int] = {}
    capacity: dict[str, int] = {}
    steps = []
    for index, node in enumerate(graph.nodes.values()):
        definition = node.definition
        if definition.id not in kinds:
            raise UserError(f"node `{node.name}` is a `{definition.id}`, which the built module does not contain",
                            "rebuild the node library")
        capacity[node.name] = output_words(definition, _size_env(node, graph, capacity), node.name)
        slot_of[node.name] = len(values)
        values.append({"type": definition.output, "capacity": capacity[node.name], "producer": index, "node": node.name})
        inputs = tuple(constants[(a.type, encode_const(a))] if isinstance(a, Const) else slot_of[a.node]
                       for a in node.args.values())
        steps.append(Step(node.name, kinds[definition.id], slot_of[node.name], inputs, tuple(node.args),
                          node.span.line, node.span.col))

    layout = RegionAllocator(0)
    layout.take("static", "module static data and stack", module.static_end)
    layout.take("control", "control block", CONTROL_BYTES)
    layout.take("values", "value table", VALUE_ENTRY_BYTES * len(values))
    layout.take("steps", "step index", 4 * len(steps))
    layout.take("records", "step records", 4 * sum(3 + len(s.inputs) for s in steps))
    constants_region = layout.take("constants", "constants", 4 * sum(len(k[1]) for k in constants))
    layout.take("params", "parameters", 0)
    ends = live_until(steps, slot_of[graph.output])
    slots = [Slot(value["node"], 4 * value["capacity"], value["producer"], ends[index])
             for index, value in enumerate(values) if "words" not in value]
    addresses = iter(place_slots(layout, slots, policy))
    placed = []
    const_offset = constants_region.offset
    for index, value in enumerate(values):
        if "words" in value:
            placed.append(Value(value["type"], const_offset, value["capacity"], words=value["words"]))
            const_offset += 4 * value["capacity"]
        else:
            placed.append(Value(value["type"], next(addresses), value["capacity"], producer=value["producer"],
                                live_until=ends[index]))

    pages = max(-(-layout.top // PAGE_BYTES), module.min_pages, 1)
    if pages > WASM32_PAGES:
        raise UserError(f"the plan needs {layout.top:,} bytes of memory, more than wasm32's 4 GiB ({WASM32_PAGES * PAGE_BYTES:,})",
                        "lower the amounts or resolutions that make the largest outputs")
    return Plan(
        source=graph.source.name,
        module=Module(module.sha256, module.size, module_path),
        kinds=module.kinds,
        memory_pages=pages,
        regions=tuple(layout.regions),
        values=tuple(placed),
        steps=tuple(steps),
        output=slot_of[graph.output],
        layout=policy,
        peak_live_bytes=peak_live_bytes(slots),
    )
