"""Nodarium graph JSON to readable .ndg and back.

A Nodarium graph is `{settings, nodes: [{id, type, position, props}], edges: [[from, 0, to,
"input"]]}`. Import writes one binding per node, named after its type (`stem`, `stem_2`, …), in
the order data flows, and the output node last. Where the Nodarium graph holds something that
cannot mean anything here, import drops it and says so in a warning; it never drops anything
silently. Export writes the checked graph back: every node with the arguments written in the
.ndg as props, every connection as an edge.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field

from ndg.compiler.definitions import RESULT_TYPE, InputDef, NodeDef, NodeLibrary
from ndg.compiler.formatter import format_program
from ndg.compiler.ir import Const, Graph, ParamRef, Use
from ndg.compiler.nodarium import STANDARD
from ndg.compiler.passes import RUN_SEED, default_value
from ndg.compiler.syntax import parse
from ndg.compiler.toposort import stable_order
from ndg.errors import UserError
from ndg.runtime.scalars import I32_MAX, scalar_problem

# About as many nodes as the largest .ndg file ndg reads holds (syntax.MAX_SOURCE_CHARS).
MAX_IMPORT_NODES = 400_000
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_SETTING_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*\Z")
_QUALIFIED_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*(/[A-Za-z_][A-Za-z0-9_-]*)+\Z")
_INPUT_NAME = re.compile(r"([A-Za-z_][A-Za-z0-9_]*|[0-9]+)\Z")
# Words the .ndg grammar reserves where a statement or value starts.
_RESERVED = {"param", "settings", "use", "true", "false", "in"}
# Nodarium's editor lays nodes out left to right; export spaces columns and rows like this.
_COLUMN, _ROW = 250, 150


@dataclass
class Imported:
    text: str
    warnings: list[str] = field(default_factory=list)


def _bad_graph(name: str, problem: str) -> UserError:
    return UserError(f"{name} is not a Nodarium graph: {problem}",
                     "a graph is {\"nodes\": [{\"id\", \"type\", \"props\"}], \"edges\": [[from, 0, to, \"input\"]], \"settings\"}")


def _is_number(value) -> bool:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return isinstance(value, int) or math.isfinite(value)


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def number_text(value) -> str:
    """A float as the .ndg literal import writes: whole floats without a fraction, so a value
    reads the same after export and import; −0.0 keeps its sign (Nodarium's arithmetic shows it)."""
    value = float(value)
    if value == 0 and math.copysign(1, value) < 0:
        return "-0.0"
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _literal(value, input_def: InputDef) -> str | None:
    """A prop as a .ndg literal for its input, or None when it is not a value of the input's type."""
    kind = input_def.type
    if kind == "boolean" and (isinstance(value, bool) or value in (0, 1)):
        return "true" if value else "false"
    if kind == "vec3" and isinstance(value, list) and scalar_problem("vec3", tuple(value)) is None:
        return "[" + ", ".join(number_text(v) for v in value) + "]"
    if not _is_number(value):
        return None
    if kind == "float" and scalar_problem("float", value) is None:
        return number_text(value)
    if isinstance(value, float) and value.is_integer() and abs(value) <= I32_MAX:
        value = int(value)  # JavaScript has one number type: 3.0 is the integer 3
    if kind in ("integer", "seed", "select") and scalar_problem(kind, value) is None:
        if kind == "select" and 0 <= value < len(input_def.options) and _NAME.match(input_def.options[int(value)]) \
                and input_def.options[int(value)] not in _RESERVED:
            return input_def.options[int(value)]
        return str(int(value))
    return None


def _setting_literal(value) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int) and scalar_problem("integer", value) is None:
        return str(value)
    if isinstance(value, float) and scalar_problem("float", value) is None:
        return number_text(value)
    if isinstance(value, list) and scalar_problem("vec3", tuple(value)) is None:
        return "[" + ", ".join(number_text(v) for v in value) + "]"
    return None


def _read_nodes(data, name: str, library: NodeLibrary) -> dict[int, tuple[NodeDef, dict]]:
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), list):
        raise _bad_graph(name, "it has no `nodes` list")
    if len(data["nodes"]) > MAX_IMPORT_NODES:
        raise UserError(f"{name} has {len(data['nodes']):,} nodes, more than the {MAX_IMPORT_NODES:,} a .ndg file can hold",
                        "split the graph, or generate the .ndg directly")
    nodes = {}
    for node in data["nodes"]:
        if not isinstance(node, dict) or not _is_id(node.get("id")) or not isinstance(node.get("type"), str):
            raise _bad_graph(name, f"every node needs a numeric `id` and a `type`, and {str(node)[:60]} has not")
        if node["id"] in nodes:
            raise _bad_graph(name, f"two nodes have the id {node['id']}")
        definition = library.by_id(node["type"])
        if definition is None:
            raise UserError(f"{name}: node {node['id']} has type `{node['type']}`, which the node library does not contain",
                            "add the folder with its definition using --nodes DIR")
        props = node.get("props") or {}
        if not isinstance(props, dict):
            raise _bad_graph(name, f"the props of node {node['id']} are not an object")
        nodes[node["id"]] = (definition, props)
    return nodes


def _read_edges(data, name: str, nodes, warnings: list[str]) -> dict[int, dict[str, int]]:
    """For each node, which node feeds each of its inputs."""
    feeds: dict[int, dict[str, int]] = {node_id: {} for node_id in nodes}
    edges = data.get("edges") or []
    if not isinstance(edges, list):
        raise _bad_graph(name, "its `edges` are not a list")
    for edge in edges:
        if not (isinstance(edge, list) and len(edge) == 4 and _is_id(edge[0]) and edge[0] in nodes
                and _is_id(edge[2]) and edge[2] in nodes and isinstance(edge[3], str)):
            raise _bad_graph(name, f"the edge {edge} does not join two of its nodes as [from, 0, to, \"input\"]")
        source, _, target, input_name = edge
        definition = nodes[target][0]
        if nodes[source][0].output == RESULT_TYPE:
            warnings.append(f"edge from node {source} ({nodes[source][0].short_name}) dropped: "
                            "an output node has no value to pass on")
            continue
        if definition.input(input_name) is None:
            warnings.append(f"edge from node {source} into `{input_name}` of node {target} ({definition.short_name}) "
                            f"dropped: `{definition.short_name}` has no such input")
            continue
        if input_name in feeds[target]:
            warnings.append(f"input `{input_name}` of node {target} ({definition.short_name}) has two edges; "
                            f"the last one, from node {source}, is kept as Nodarium does")
        feeds[target][input_name] = source
    return feeds


def _from_settings(graph: Graph, input_def: InputDef, arg: Const) -> bool:
    """Whether the value came from the settings block (it then points there) rather than an argument."""
    setting = graph.settings.get(input_def.setting)
    return setting is not None and arg.span == setting.span


def _flow_order(kept: list[int], feeds) -> list[int]:
    """Every node after the nodes feeding it, ties broken by the graph file's order; a cycle's
    nodes come last in file order (`ndg check` then reports the cycle)."""
    ordered, stuck = stable_order(kept, {n: feeds[n].values() for n in kept})
    return ordered + stuck


def import_graph(data, library: NodeLibrary, name: str = "graph.json", compat: bool = False) -> Imported:
    """A Nodarium graph (parsed JSON) as .ndg text, with a warning for everything left out;
    `compat` writes the setting that runs it in compatibility mode."""
    warnings: list[str] = []
    nodes = _read_nodes(data, name, library)
    feeds = _read_edges(data, name, nodes, warnings)
    outputs = [n for n, (d, _) in nodes.items() if d.id.endswith("/output")]
    if not outputs:
        raise _bad_graph(name, "it has no output node, so it computes nothing")
    # Nodarium runs what the first output node needs and nothing else.
    reached, stack = set(), [outputs[0]]
    while stack:
        n = stack.pop()
        if n not in reached:
            reached.add(n)
            stack.extend(feeds[n].values())
    for n, (definition, _) in nodes.items():
        if n not in reached:
            warnings.append(f"node {n} ({definition.short_name}) dropped: it does not feed the output, "
                            "so Nodarium never runs it")
    order = _flow_order([n for n in nodes if n in reached], feeds)

    names: dict[int, str] = {}
    fresh = _BindingNames()
    lines = []
    settings = data.get("settings") or {}
    if not isinstance(settings, dict):
        warnings.append(f"settings dropped: {str(settings)[:60]} is not an object of settings")
        settings = {}
    entries = []
    for key, value in settings.items():
        literal = _setting_literal(value)
        if literal is None or not _SETTING_KEY.match(key) or key.split(".")[0] in _RESERVED:
            warnings.append(f"setting `{key}` dropped: {value!r} is not a 32-bit number, a boolean or a vec3")
            continue
        entries.append(f"    {key}: {literal},")
    if compat:
        setting = STANDARD.compat_setting
        entries = [e for e in entries if not e.startswith(f"    {setting}:")] + [f"    {setting}: true,"]
    if entries:
        lines += ["settings {", *entries, "}", ""]
    for n in order:
        if n != outputs[0]:
            names[n] = fresh.fresh(nodes[n][0].short_name)
    for n in order:
        definition, props = nodes[n]
        node_id = _call_name(definition, library, f"{name}: node {n}")
        call = f"{node_id}({', '.join(_import_args(n, definition, props, feeds[n], names, warnings))})"
        lines.append(call if n == outputs[0] else f"{names[n]} = {call}")
    seeded = [n for n in order if any(i.type == "seed" and i.name not in feeds[n] for i in nodes[n][0].inputs)]
    if seeded:
        shown = ", ".join(f"`{names.get(n, 'output')}`" for n in seeded[:3]) + (" and more" if len(seeded) > 3 else "")
        warnings.append(f"the result depends on the run's seed ({shown} read it), which Nodarium rolls anew unless "
                        "told otherwise: ndg uses 0; run with `--seed N` (or `program.run(seed=N)`) to get Nodarium's "
                        "result for its seed N, or write `seed: N` into those nodes to fix one result")
    return Imported(format_program(parse("\n".join(lines) + "\n", name)), warnings)


class _BindingNames:
    """Fresh binding names: a node type's short name, then `name_2`, `name_3`…; each base
    remembers its last number, so naming n nodes of one type takes linear time."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        self.last: dict[str, int] = {}

    def fresh(self, base: str) -> str:
        base = base if _NAME.match(base) and base not in _RESERVED else "node"
        count = self.last.get(base, 0)
        name = base
        while name in self.taken:
            count += 1
            name = f"{base}_{count}" if count > 1 else base
        self.last[base] = count
        self.taken.add(name)
        return name


def _call_name(definition: NodeDef, library: NodeLibrary, where: str) -> str:
    """How the .ndg calls this node type: its short name when that is unambiguous, else its id."""
    short = definition.short_name
    if _NAME.match(short) and short not in _RESERVED and library.matching(short) == [definition]:
        return short
    if _QUALIFIED_ID.match(definition.id):
        return definition.id
    raise UserError(f"{where} has type `{definition.id}`, which a .ndg file cannot name",
                    "ids are parts of letters, digits, `_` and `-` joined by `/`, each part starting with a "
                    "letter or `_`; rename the node type")


def _is_fallback(value, input_def: InputDef) -> bool:
    """Whether a prop is the value an input with no default of its own gets when a graph leaves it
    out (Nodarium's editor default): export must write such a value, for Nodarium's runtime has no
    fallback, and import leaves it out again, so that a round trip is stable at once."""
    if input_def.value is not None or input_def.required or input_def.type not in STANDARD.fallback_defaults:
        return False
    default = default_value(input_def)
    if isinstance(default, tuple):
        return isinstance(value, list) and tuple(value) == default
    return type(value) is type(default) and value == default


def _import_args(n: int, definition: NodeDef, props: dict, feeds: dict[str, int], names, warnings) -> list[str]:
    where = f"node {n} ({definition.short_name})"
    for prop in props:
        if definition.input(prop) is None:
            warnings.append(f"prop `{prop}` of {where} dropped: `{definition.short_name}` has no such input")
    args = []
    edge_order = list(feeds)  # the order of the graph file's edges
    connected = iter(sorted((i for i in definition.inputs if i.name in feeds), key=lambda i: edge_order.index(i.name)))
    for input_def in definition.inputs:
        if input_def.name in feeds:
            # Connected inputs keep the file's order among themselves: Nodarium walks a node's
            # parents in that order, and so does compatibility mode (in the order written).
            input_def = next(connected)
        key = input_def.name
        if (key in feeds or key in props) and not _INPUT_NAME.match(key):
            raise UserError(f"{where} gives its input `{key}`, a name a .ndg file cannot write",
                            "input names are letters, digits and `_`, not starting with a digit, or a number; "
                            "rename the input in the node's definition")
        if key in feeds:
            args.append(f"{key}: {names[feeds[key]]}")
            if key in props:
                warnings.append(f"prop `{key}` of {where} dropped: an edge feeds that input, and edges win")
        elif input_def.setting:
            if key in props:
                warnings.append(f"prop `{key}` of {where} dropped: it takes the graph setting `{input_def.setting}`")
        elif input_def.type == "seed":
            if key in props:
                warnings.append(f"prop `{key}` of {where} dropped: Nodarium gives every seed input the run's seed, "
                                "and so does ndg")
        elif key in props and _is_fallback(props[key], input_def):
            continue  # what ndg gives the input when left out: export writes it, so import leaves it out
        elif key in props:
            literal = _literal(props[key], input_def)
            if literal is None:
                warnings.append(f"prop `{key}` of {where} dropped: {props[key]!r} is not a valid {input_def.type}; "
                                "the definition's value is used")
            else:
                args.append(f"{key}: {literal}")
        elif input_def.value is None and input_def.type in ("integer", "select"):
            warnings.append(f"{where} has no value for `{key}` and its definition none either; Nodarium's runtime "
                            "stops there, ndg uses 0 as Nodarium's editor would")
            if input_def.required:  # left out, it would be an error in the .ndg
                args.append(f"{key}: 0")
    return args


def export_graph(graph: Graph) -> tuple[dict, list[str]]:
    """A checked graph as Nodarium graph JSON, with warnings for what Nodarium cannot express."""
    warnings = []
    ids = {name: index for index, name in enumerate(graph.nodes)}
    depth: dict[str, int] = {}
    nodes, edges = [], []
    rows: dict[int, int] = {}
    for name, node in graph.nodes.items():
        depth[name] = max((depth[u] + 1 for u in node.uses()), default=0)
        row = rows.get(depth[name], 0)
        rows[depth[name]] = row + 1
        props = {}
        # Edges in the order their arguments are written: the order Nodarium and compatibility
        # mode walk a node's parents in.
        order = [*node.written, *node.args]
        for input_name, arg in sorted(node.args.items(), key=lambda item: order.index(item[0])):
            input_def = node.definition.input(input_name)
            if isinstance(arg, Use):
                edges.append([ids[arg.node], 0, ids[name], input_name])
            elif isinstance(arg, ParamRef) and input_def.type == "seed" and arg.name == RUN_SEED:
                continue  # Nodarium gives every seed input its run seed too
            elif isinstance(arg, ParamRef):
                param = graph.params[arg.name]
                props[input_name] = _json_value(param.default)
                warnings.append(f"`{name}.{input_name}` uses parameter `{arg.name}`, which Nodarium does not have; "
                                f"exported as its default {json.dumps(_json_value(param.default))}")
            elif input_def.setting and arg.span is not None and not _from_settings(graph, input_def, arg):
                warnings.append(f"`{name}.{input_name}` is set to {json.dumps(_json_value(arg.value))} here, but Nodarium gives every "
                                f"`{input_name}` the graph setting `{input_def.setting}`; not exported")
            elif not input_def.setting and (arg.span is not None or input_def.value is None):
                # Written in the .ndg, or a value Nodarium's runtime has no fallback for.
                props[input_name] = _json_value(arg.value)
        nodes.append({"id": ids[name], "type": node.definition.id,
                      "position": [depth[name] * _COLUMN, row * _ROW], "props": props})
    settings = {key: _json_value(s.value) for key, s in graph.settings.items()}
    return {"settings": settings, "nodes": nodes, "edges": edges}, warnings


def _json_value(value):
    return list(value) if isinstance(value, tuple) else value
