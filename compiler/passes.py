"""Passes from syntax tree to an ordered, typed graph. Each returns its result and its diagnostics."""

from __future__ import annotations

import heapq
from dataclasses import replace

from ndg.compiler import syntax
from ndg.compiler.definitions import RESULT_TYPE, InputDef, NodeDef, NodeLibrary
from ndg.compiler.diagnostics import Diagnostic, Span, did_you_mean
from ndg.compiler.ir import Arg, Const, Graph, Node, Use
from ndg.runtime.scalars import SCALAR_WORDS, scalar_problem

# What Nodarium's editor fills in for an input that has no default of its own.
FALLBACK_DEFAULTS = {"float": 0.5, "integer": 0, "select": 0, "seed": 0, "boolean": False, "vec3": (0.0, 0.0, 0.0)}


class _Lowering:
    def __init__(self, program: syntax.Program, library: NodeLibrary):
        self.library = library
        self.graph = Graph(program.source)
        self.diagnostics: list[Diagnostic] = []
        self.sinks: list[tuple[str, Span]] = []
        self.bound: dict[str, Span] = {}

    def error(self, code: str, message: str, span: Span, hint: str | None = None):
        self.diagnostics.append(Diagnostic(code, message, span, hint))

    def resolve_node(self, call: syntax.Call) -> NodeDef | None:
        matches = self.library.matching(call.node_id)
        if len(matches) == 1:
            return matches[0]
        if matches:
            ids = ", ".join(f"`{d.id}`" for d in matches)
            self.error("E107", f"`{call.node_id}` could mean {ids}", call.id_span,
                       "write the full node id to pick one")
        else:
            self.error("E101", f"unknown node type `{call.node_id}`", call.id_span,
                       did_you_mean(call.node_id, self.library.names()) or "`ndg nodes` lists the node library")
        return None

    def lower_value(self, value: syntax.Expr, name: str) -> Arg | None:
        if isinstance(value, syntax.Call):
            nested = self.lower_call(value, name)
            return Use(nested, value.span) if nested else None
        if isinstance(value, syntax.Ref):
            return Use(value.name, value.span)
        if isinstance(value, syntax.Vec3):
            return Const(None, tuple(float(n.value) for n in value.items), value.span)
        return Const(None, value.value, value.span)

    def lower_call(self, call: syntax.Call, name: str) -> str | None:
        definition = self.resolve_node(call)
        args: dict[str, Arg] = {}
        for arg in call.args:
            arg_name = f"{name}.{arg.name}"
            value = self.lower_value(arg.value, arg_name)
            if definition is None:
                continue
            if definition.input(arg.name) is None:
                known = [i.name for i in definition.inputs]
                self.error("E103", f"`{definition.short_name}` has no input `{arg.name}`", arg.name_span,
                           did_you_mean(arg.name, known) or f"its inputs are: {', '.join(known) or 'none'}")
            elif arg.name in args:
                self.error("E105", f"input `{arg.name}` is given twice", arg.name_span, "remove one of them")
            elif value is not None:
                args[arg.name] = value
        if definition is None:
            return None
        self.graph.nodes[name] = Node(name, definition, args, call.span)
        return name

    def lower(self, program: syntax.Program) -> Graph:
        bound = self.bound
        for statement in program.statements:
            if isinstance(statement, syntax.Binding):
                if statement.name in bound:
                    first = bound[statement.name]
                    self.error("E104", f"`{statement.name}` is already bound on line {first.line}",
                               statement.name_span, "give this node another name")
                    continue
                bound[statement.name] = statement.name_span
                if not isinstance(statement.value, syntax.Call):
                    self.error("E106", f"`{statement.name}` must be bound to a node call", statement.value.span,
                               "write the value directly where it is used, or wrap it in a node such as float(value: …)")
                    continue
                lowered = self.lower_call(statement.value, statement.name)
            else:
                lowered = self.lower_call(statement.call, self.sink_name(statement.call))
                if lowered and self.graph.nodes[lowered].definition.output != RESULT_TYPE:
                    self.error("E303", f"the result of `{statement.call.node_id}` is not used", statement.span,
                               "bind it to a name (`name = …`) and use it, or remove it")
            if lowered and self.graph.nodes[lowered].definition.output == RESULT_TYPE:
                self.sinks.append((lowered, statement.span))
        self.check_uses()
        self.check_output(program)
        return replace(self.graph, output=self.sinks[0][0] if len(self.sinks) == 1 else None)

    def sink_name(self, call: syntax.Call) -> str:
        base = call.node_id.rsplit("/", 1)[-1]
        name, n = base, 1
        while name in self.graph.nodes:
            n += 1
            name = f"{base}_{n}"
        return name

    def check_uses(self):
        """Report uses of unbound names; they stay in the graph so no later pass reports them again.
        A name bound to a call that failed to lower was reported already and is not reported again."""
        names = list(self.bound)
        for node in self.graph.nodes.values():
            for arg in node.args.values():
                if isinstance(arg, Use) and arg.node not in self.bound and arg.node not in self.graph.nodes:
                    self.error("E102", f"no node is named `{arg.node}`", arg.span,
                               did_you_mean(arg.node, names) or "bind a node to that name first: `name = node(…)`")

    def check_output(self, program: syntax.Program):
        if not self.sinks:
            self.error("E302", "the graph has no output", Span(1, 1, 1, 2),
                       "add a line such as `output(input: my_geometry)`")
        for name, span in self.sinks[1:]:
            self.error("E302", "a graph has exactly one output, and this is a second one", span,
                       f"the first output is `{self.sinks[0][0]}`; remove one")


def lower(program: syntax.Program, library: NodeLibrary) -> tuple[Graph, list[Diagnostic]]:
    """Resolve node types, binding names and argument names into a graph in source order."""
    lowering = _Lowering(program, library)
    graph = lowering.lower(program)
    return graph, lowering.diagnostics


def _type_name(value) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    return "vec3"


def _coerce(value, input_def: InputDef):
    """The literal as a value of the input's type, or None where the types do not fit."""
    kind = input_def.type
    if kind == "float" and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    return value if kind in SCALAR_WORDS and scalar_problem(kind, value) is None else None


def _range_problem(value, input_def: InputDef) -> str | None:
    if input_def.type == "select":
        if not 0 <= value < len(input_def.options):
            choices = ", ".join(f"{i} ({o})" for i, o in enumerate(input_def.options))
            return f"choose one of {choices}"
        return None
    low, high = input_def.min, input_def.max
    if input_def.type not in ("float", "integer") or (low is None and high is None):
        return None
    if (low is not None and value < low) or (high is not None and value > high):
        return f"`{input_def.name}` takes values from {low if low is not None else '-∞'} to {high if high is not None else '∞'}"
    return None


def check_types(graph: Graph) -> tuple[Graph, list[Diagnostic]]:
    """Give every literal its input's type, check uses against input types and values against ranges."""
    diagnostics = []
    nodes = {}
    for node in graph.nodes.values():
        args = {}
        for input_name, arg in node.args.items():
            input_def = node.definition.input(input_name)
            if isinstance(arg, Use):
                if arg.node not in graph.nodes:  # reported by `lower`, or its node failed to lower
                    args[input_name] = arg
                    continue
                produced = graph.nodes[arg.node].definition.output
                if produced == RESULT_TYPE:
                    diagnostics.append(Diagnostic("E201", f"`{arg.node}` is the graph's output and has no value to use",
                                                  arg.span, "use the node that feeds it instead"))
                elif not input_def.accepts_type(produced):
                    expected = " or ".join((input_def.type, *input_def.accepts))
                    diagnostics.append(Diagnostic("E201", f"`{input_name}` expects {expected}, found {produced} from `{arg.node}`",
                                                  arg.span, f"connect a node that outputs {expected}"))
                args[input_name] = arg
                continue
            value = _coerce(arg.value, input_def)
            if value is None:
                diagnostics.append(Diagnostic("E201", f"`{input_name}` expects {input_def.type}, found {_type_name(arg.value)}",
                                              arg.span, _type_hint(input_def)))
                continue
            problem = _range_problem(value, input_def)
            if problem:
                diagnostics.append(Diagnostic("E203", f"{value!r} is out of range for `{input_name}`", arg.span, problem))
            args[input_name] = Const(input_def.type, value, arg.span)
        nodes[node.name] = replace(node, args=args)
    return replace(graph, nodes=nodes), diagnostics


def _type_hint(input_def: InputDef) -> str:
    examples = {"float": "a number such as 1.5", "integer": "a whole number such as 3", "select": "an option index such as 0",
                "seed": "a whole number such as 42", "boolean": "`true` or `false`", "vec3": "three numbers: [0, 1, 0]"}
    return f"write {examples.get(input_def.type, f'a node that outputs {input_def.type}')}"


def fill_defaults(graph: Graph) -> tuple[Graph, list[Diagnostic]]:
    """Give every input without an argument its definition's default (or Nodarium's editor default)."""
    diagnostics = []
    nodes = {}
    for node in graph.nodes.values():
        args = dict(node.args)
        for input_def in node.definition.inputs:
            if input_def.name in args:
                continue
            if input_def.type not in FALLBACK_DEFAULTS:
                diagnostics.append(Diagnostic("E202", f"`{node.definition.short_name}` needs its input `{input_def.name}`",
                                              node.span, f"connect a node that outputs {input_def.type}: `{input_def.name}: …`"))
                continue
            default = input_def.value if input_def.value is not None else FALLBACK_DEFAULTS[input_def.type]
            if input_def.type == "vec3":
                default = tuple(float(v) for v in default)
            elif input_def.type == "float":
                default = float(default)
            elif input_def.type == "boolean":
                default = bool(default)
            args[input_def.name] = Const(input_def.type, default, None)
        nodes[node.name] = replace(node, args={i.name: args[i.name] for i in node.definition.inputs if i.name in args})
    return replace(graph, nodes=nodes), diagnostics


def order(graph: Graph) -> tuple[Graph, list[Diagnostic]]:
    """Execution order: every node after the nodes it uses, ties broken by source order; cycles are errors."""
    position = {name: i for i, name in enumerate(graph.nodes)}
    users: dict[str, list[str]] = {name: [] for name in graph.nodes}
    waiting = {}
    for node in graph.nodes.values():
        uses = set(node.uses())
        waiting[node.name] = len(uses)
        for used in uses:
            users[used].append(node.name)
    ready = [(position[n], n) for n, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    ordered = []
    while ready:
        _, name = heapq.heappop(ready)
        ordered.append(name)
        for user in users[name]:
            waiting[user] -= 1
            if waiting[user] == 0:
                heapq.heappush(ready, (position[user], user))
    if len(ordered) == len(graph.nodes):
        return replace(graph, nodes={n: graph.nodes[n] for n in ordered}), []
    return graph, [_cycle_diagnostic(graph, {n for n, c in waiting.items() if c > 0})]


def _cycle_diagnostic(graph: Graph, stuck: set[str]) -> Diagnostic:
    """Walk uses inside the stuck set until a node repeats: that loop is a cycle to show."""
    start = min(stuck, key=list(graph.nodes).index)
    path, seen = [start], {start: 0}
    while True:
        node = graph.nodes[path[-1]]
        following = next(u for u in node.uses() if u in stuck)
        if following in seen:
            cycle = path[seen[following]:] + [following]
            break
        seen[following] = len(path)
        path.append(following)
    first = graph.nodes[cycle[0]]
    # Written in the direction data flows: each node feeds the next.
    flow = " → ".join(reversed(cycle))
    return Diagnostic("E301", f"these nodes feed each other in a cycle: {flow}", first.span,
                      "a node cannot depend on its own output; break one of these connections")


def analyse(program: syntax.Program, library: NodeLibrary) -> tuple[Graph, list[Diagnostic]]:
    """All front-end passes; diagnostics of independent errors are gathered, not stopped at."""
    graph, diagnostics = lower(program, library)
    for check in (check_types, fill_defaults):
        graph, found = check(graph)
        diagnostics += found
    if not diagnostics:
        graph, found = order(graph)
        diagnostics += found
    return graph, diagnostics
