"""Per-use evaluation: scalar inputs fed by `random` become programs their consumer evaluates.

Nodarium passes `math`, `vec3` and `random` on as expression trees that each consuming node
evaluates where it needs the value, drawing random numbers with its own call counter
(docs/nodarium.md, "Per-use evaluation"). ndg does the same for every scalar that has a `random`
inside: this pass inlines such a scalar's whole tree into the consuming argument as an
`Expression`, which the planner writes as an `ndg_util::expr` program, and drops the `random`,
`math` and `vec3` nodes that only existed to build it. Scalars without a `random` stay eager (one
step each, one value): evaluating them per use would give the same bits, and a long `math` chain
stays linear in memory.
"""

from __future__ import annotations

from dataclasses import replace

from ndg.compiler.diagnostics import Diagnostic, SourceErrors
from ndg.compiler.ir import Arg, Const, Expression, Graph, Node, ParamRef, Use
from ndg.runtime.scalars import encode_scalar

# Operations of a program, as ndg_util::expr numbers them.
OP_CONST, OP_PARAM, OP_MATH, OP_RANDOM, OP_MATH_OF = 0, 1, 2, 3, 4
# ndg_util::expr::STACK_WORDS: the deepest operand stack the node code gives a program.
STACK_WORDS = 4096


class _Refused(Exception):
    def __init__(self, diagnostic: Diagnostic):
        self.diagnostic = diagnostic


def per_use_expressions(graph: Graph) -> Graph:
    """The graph with every argument that depends on a `random` made an Expression."""
    dialect = graph.dialect
    lazy: set[str] = set()
    for node in graph.nodes.values():
        if node.definition.id == dialect.random_node or (node.definition.id in (dialect.math_node, dialect.vec3_node)
                                                         and any(use in lazy for use in node.uses())):
            lazy.add(node.name)
    if not lazy:
        return graph
    diagnostics = []
    nodes = {}
    for node in graph.nodes.values():
        if node.name in lazy:
            continue
        args = dict(node.args)
        for name, arg in node.args.items():
            if isinstance(arg, Use) and arg.node in lazy:
                try:
                    args[name] = _expression(graph, node, name, arg)
                except _Refused as refused:
                    diagnostics.append(refused.diagnostic)
        nodes[node.name] = replace(node, args=args)
    if diagnostics:
        raise SourceErrors(graph.source, diagnostics)
    runs = None if graph.runs is None else tuple(name for name in graph.runs if name in nodes)
    return replace(graph, nodes=nodes, runs=runs)


def _expression(graph: Graph, consumer: Node, input_name: str, use: Use) -> Expression:
    producer = graph.nodes[use.node]
    if consumer.definition.input(input_name).type == "vec3":
        parts = tuple(_float_ops(graph, producer.args[k]) for k in ("0", "1", "2"))
    else:
        parts = (_float_ops(graph, use),)
    for ops in parts:
        depth = _stack_depth(ops)
        if depth > STACK_WORDS:
            raise _Refused(Diagnostic(
                "E404", f"the expression `{use.node}` is nested too deeply to be evaluated per use: it holds {depth:,} "
                f"values at once, and a node's evaluation holds {STACK_WORDS:,}", use.span,
                "feed the deeply nested `math` nodes from the left (`a:`) rather than the right (`b:`): "
                "`math(a: x, b: 1)` holds two values whatever x is"))
    return Expression(consumer.definition.input(input_name).type, parts, use.span)


def _float_ops(graph: Graph, arg: Arg) -> tuple:
    """The postfix operations that compute `arg`, parameters by name. Iterative, so a tree nested
    thousands of nodes deep needs no deeper Python stack."""
    ops: list[tuple] = []
    # Arguments to expand, and operations to emit once the arguments before them are expanded.
    pending: list[Arg | tuple] = [arg]
    while pending:
        item = pending.pop()
        if isinstance(item, tuple):
            ops.append(item)
        elif isinstance(item, Const):
            ops.append(("const", encode_scalar(item.type, item.value)[0]))
        elif isinstance(item, ParamRef):
            ops.append(("param", item.name))
        else:
            pending += reversed(_operands(graph, item))
    return tuple(ops)


def _operands(graph: Graph, arg: Arg) -> list[Arg | tuple]:
    """What node `arg` computes, in postfix order: its arguments, then its operation."""
    node = graph.nodes[arg.node]
    node_id, dialect = node.definition.id, graph.dialect
    if node_id == dialect.float_node:
        return [node.args["value"]]
    if node_id == dialect.random_node:
        return [node.args["min"], node.args["max"], node.args["seed"], ("random",)]
    if node_id == dialect.math_node and isinstance(node.args["op_type"], Const):
        return [node.args["a"], node.args["b"], ("math", node.args["op_type"].value)]
    if node_id == dialect.math_node and isinstance(node.args["op_type"], ParamRef):
        return [node.args["a"], node.args["b"], node.args["op_type"], ("math_of",)]
    raise _Refused(Diagnostic(
        "E404", f"`{arg.node}` feeds a value computed per use (it depends on a `random`), which a "
        f"`{node.definition.short_name}` node cannot be part of", arg.span,
        "per-use expressions are made of `float`, `math` and `random` nodes (docs/nodarium.md, \"Per-use evaluation\")"))


def _stack_depth(ops: tuple) -> int:
    depth = deepest = 0
    for op in ops:
        depth += {"const": 1, "param": 1, "math": -1, "random": -2, "math_of": -2}[op[0]]
        deepest = max(deepest, depth)
    return deepest


def encode_program(expression: Expression, param_values: dict[str, int]) -> tuple[int, ...]:
    """The words of an ndg_util::expr program; `param_values` gives each parameter's value index."""
    programs = [_encode_ops(ops, param_values) for ops in expression.parts]
    if expression.type == "float":
        return programs[0]
    return tuple(word for program in programs for word in (len(program), *program))


def _encode_ops(ops: tuple, param_values: dict[str, int]) -> tuple[int, ...]:
    words: list[int] = []
    for op in ops:
        if op[0] == "const":
            words += [OP_CONST, op[1]]
        elif op[0] == "param":
            words += [OP_PARAM, param_values[op[1]]]
        elif op[0] == "math":
            words += [OP_MATH, op[1]]
        elif op[0] == "math_of":
            words.append(OP_MATH_OF)
        else:
            words.append(OP_RANDOM)
    return tuple(words)
