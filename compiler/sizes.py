"""Size rules: what a node writes, declared as data in its definition and evaluated here.

A rule is an expression over the node's inputs (docs/nodes.md, "Size rules"). Most rules give
the output's *shape*: the items it holds (kind, points and depth of each path, vertices and faces
of each geometry, …), from which its word count follows and which the rules of the nodes
downstream read in turn. A rule that is a plain number gives a word count and no shape.

- numbers and `+ - *` over integers; scalar inputs have their compile-time values;
- a bulk input's name is its items; `a ++ b` puts items after items;
- `paths(count, points, depth)`, `geometry(vertices, faces)`, `instances(vertices, faces, count)` make items;
- `each(x, e)` is `e` for every item of `x` in turn, named `item` inside `e`, concatenated;
- `when(condition, e)` is `e` or no items; conditions compare with `== != >= <= > <` and join with `and`;
- `count(x, condition)` counts the items of `x` for which the condition holds;
- `max_depth(x)` is the largest depth of a path in `x` (0 when there is none);
- `x.points .depth .vertices .faces .instances .is_path` read the one item `x` holds;
- `max(a, b, …)`, `min(a, b, …)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import lark

from ndg.compiler.diagnostics import Diagnostic, SourceErrors
from ndg.compiler.definitions import BULK_TYPES, SCALAR_WORDS, NodeDef
from ndg.compiler.ir import Const, Graph, Use
from ndg.errors import UserError
from ndg.runtime.format import GEOMETRY, INSTANCES, PATH

LIST_BRACKET_WORDS = 4
ITEM_NAME = "item"
FUNCTIONS = ("paths", "geometry", "instances", "each", "when", "count", "max_depth", "max", "min")
ATTRIBUTES = ("points", "depth", "vertices", "faces", "instances", "is_path")


@dataclass(frozen=True)
class ItemShape:
    """One item of a bulk value, as much of it as decides its size and the sizes downstream."""

    kind: int
    points: int = 0
    depth: int = 0
    vertices: int = 0
    faces: int = 0
    instances: int = 0

    @property
    def is_path(self) -> bool:
        return self.kind == PATH

    @property
    def words(self) -> int:
        if self.kind == PATH:
            return 6 + 4 * self.points
        if self.kind == GEOMETRY:
            return 7 + 3 * self.faces + 6 * self.vertices
        return 9 + 3 * self.faces + 6 * self.vertices + 16 * self.instances


@dataclass(frozen=True)
class BulkValue:
    """What the planner knows of a bulk value: its size, whether it is a list or one item, and
    its items when its node's rule declares them."""

    words: int
    layout: str
    items: tuple[ItemShape, ...] | None = None

    @classmethod
    def of_items(cls, items: tuple[ItemShape, ...], layout: str) -> "BulkValue":
        brackets = LIST_BRACKET_WORDS if layout == "list" else 0
        return cls(brackets + sum(i.words for i in items), layout, items)


@cache
def _parser() -> lark.Lark:
    grammar = resources.files("ndg.grammar").joinpath("size.lark").read_text()
    return lark.Lark(grammar, parser="lalr")


def _rule_error(definition: NodeDef, problem: str, hint: str = "see docs/nodes.md, \"Size rules\"") -> UserError:
    return UserError(f"size rule `{definition.size}` of `{definition.id}` {problem}", hint)


def parse_rule(definition: NodeDef) -> lark.Tree:
    """The definition's size rule, parsed, with every name in it checked."""
    try:
        tree = _parse(definition.size)
    except lark.exceptions.LarkError as error:
        raise _rule_error(definition, f"does not parse: {error}") from None
    known = {i.name for i in definition.inputs}
    for node in tree.iter_subtrees():
        if node.data == "name" and str(node.children[0]) not in known | {ITEM_NAME}:
            raise _rule_error(definition, f"names `{node.children[0]}`, which is not one of its inputs",
                              f"its inputs are: {', '.join(sorted(known))}")
        if node.data == "call" and str(node.children[0]) not in FUNCTIONS:
            raise _rule_error(definition, f"calls unknown function `{node.children[0]}`",
                              f"the functions are {', '.join(FUNCTIONS)}")
        if node.data == "attribute" and str(node.children[1]) not in ATTRIBUTES:
            raise _rule_error(definition, f"reads unknown attribute `.{node.children[1]}`",
                              f"the attributes are {', '.join(ATTRIBUTES)}")
    return tree


@cache
def _parse(rule: str) -> lark.Tree:
    return _parser().parse(rule)


_COMPARE = {"==": int.__eq__, "!=": int.__ne__, ">=": int.__ge__, "<=": int.__le__, ">": int.__gt__, "<": int.__lt__}


class _Evaluate(lark.visitors.Interpreter):
    """Values are ints, bools, and tuples of ItemShape (items)."""

    def __init__(self, definition: NodeDef, env: dict, node_name: str):
        self.definition = definition
        self.env = env
        self.node_name = node_name
        self.item: tuple[ItemShape, ...] | None = None

    def fail(self, problem: str) -> UserError:
        return _rule_error(self.definition, problem)

    def number(self, tree):
        return int(tree.children[0])

    def integer(self, tree) -> int:
        value = self.visit(tree)
        if isinstance(value, tuple) or isinstance(value, bool):
            raise self.fail("uses items or a condition where it needs a number")
        return value

    def shape(self, tree) -> tuple[ItemShape, ...]:
        value = self.visit(tree)
        if not isinstance(value, tuple):
            raise self.fail("uses a number where it needs items")
        return value

    def condition(self, tree) -> bool:
        value = self.visit(tree)
        if not isinstance(value, bool):
            raise self.fail("needs a condition (a comparison or `.is_path`) here")
        return value

    def name(self, tree):
        name = str(tree.children[0])
        if name == ITEM_NAME and self.item is not None:
            return self.item
        if name == ITEM_NAME:
            raise self.fail("uses `item` outside each(…) and count(…)")
        if name not in self.env:
            raise UserError(f"the output size of `{self.node_name}` depends on `{name}`, "
                            "which is only known when the graph runs", f"give `{name}` a constant value")
        value = self.env[name]
        if isinstance(value, BulkValue):
            if value.items is None:
                raise UserError(f"the output size of `{self.node_name}` depends on the items of its input `{name}`, "
                                "whose node declares only a word count", "declare that node's size rule as items")
            return value.items
        if isinstance(value, tuple):
            raise self.fail(f"uses the vec3 `{name}`, which is not a number")
        return value if isinstance(value, bool) else int(value)

    def attribute(self, tree):
        items = self.shape(tree.children[0])
        if len(items) != 1:
            raise UserError(f"the output size of `{self.node_name}` reads `.{tree.children[1]}` of an input that holds "
                            f"{len(items)} items, not one", "connect a node that outputs a single item")
        return getattr(items[0], str(tree.children[1]))

    def add(self, tree):
        return self.integer(tree.children[0]) + self.integer(tree.children[1])

    def sub(self, tree):
        return self.integer(tree.children[0]) - self.integer(tree.children[1])

    def mul(self, tree):
        return self.integer(tree.children[0]) * self.integer(tree.children[1])

    def concat(self, tree):
        return self.shape(tree.children[0]) + self.shape(tree.children[1])

    def compare(self, tree):
        left, operator, right = tree.children
        return _COMPARE[str(operator)](self.integer(left), self.integer(right))

    def both(self, tree):
        return self.condition(tree.children[0]) and self.condition(tree.children[1])

    def _count(self, tree, what: str) -> int:
        value = self.integer(tree)
        if value < 0:
            raise UserError(f"the output size of `{self.node_name}` has {value} {what}",
                            "a size rule must never be negative for values in the inputs' ranges")
        return value

    def _for_each_item(self, source, body):
        """Yields `body` once per item of `source`, with `item` bound to that item."""
        outer = self.item
        for item in self.shape(source):
            self.item = (item,)
            yield body
        self.item = outer

    def call(self, tree):
        function, *arguments = tree.children
        function = str(function)
        arity = {"paths": 3, "geometry": 2, "instances": 3, "each": 2, "when": 2, "count": 2, "max_depth": 1}
        if function in arity and len(arguments) != arity[function]:
            raise self.fail(f"calls {function}(…) with {len(arguments)} arguments instead of {arity[function]}")
        if function == "paths":
            count, points, depth = (self._count(a, "paths, points or depth") for a in arguments)
            return (ItemShape(PATH, points=points, depth=depth),) * count
        if function == "geometry":
            vertices, faces = (self._count(a, "vertices or faces") for a in arguments)
            return (ItemShape(GEOMETRY, vertices=vertices, faces=faces),)
        if function == "instances":
            vertices, faces, count = (self._count(a, "vertices, faces or instances") for a in arguments)
            return (ItemShape(INSTANCES, vertices=vertices, faces=faces, instances=count),)
        if function == "each":
            return tuple(i for body in self._for_each_item(*arguments) for i in self.shape(body))
        if function == "count":
            return sum(self.condition(body) for body in self._for_each_item(*arguments))
        if function == "when":
            return self.shape(arguments[1]) if self.condition(arguments[0]) else ()
        if function == "max_depth":
            return max((i.depth for i in self.shape(arguments[0]) if i.is_path), default=0)
        values = [self.integer(a) for a in arguments]
        return max(values) if function == "max" else min(values)


def output_shape(definition: NodeDef, env: dict, node_name: str) -> BulkValue:
    """What bulk node `node_name` writes, given its known inputs: numbers for scalars, BulkValue
    for bulk ones."""
    layout = definition.layout if definition.output in BULK_TYPES else "list"
    value = _Evaluate(definition, env, node_name).visit(parse_rule(definition))
    if isinstance(value, bool):
        raise _rule_error(definition, "gives a condition, not a size")
    if isinstance(value, int):
        if value < 0:
            raise UserError(f"size rule of `{definition.id}` gives {value} words for these inputs",
                            "a size rule must never be negative for values in the inputs' ranges")
        return BulkValue(value, layout)
    if layout == "item" and len(value) != 1:
        raise _rule_error(definition, f"gives {len(value)} items for a node whose layout is one item")
    return BulkValue.of_items(value, layout)



def graph_shapes(graph: Graph) -> dict[str, BulkValue]:
    """The shape of every bulk node's output, node by node in the graph's order, so that each rule
    reads the shapes of its bulk inputs. Scalars made by other nodes are only known at run time
    and are left out of what a rule can read. A rule that cannot be evaluated is reported at the
    node's call in the source."""
    shapes: dict[str, BulkValue] = {}
    for node in graph.nodes.values():
        if node.definition.output in SCALAR_WORDS:
            continue
        env = {name: arg.value for name, arg in node.args.items() if isinstance(arg, Const)}
        env.update({name: shapes[arg.node] for name, arg in node.args.items()
                    if isinstance(arg, Use) and arg.node in shapes})
        try:
            shapes[node.name] = output_shape(node.definition, env, node.name)
        except UserError as error:
            raise SourceErrors(graph.source, [Diagnostic("E401", error.message, node.span, error.hint)]) from None
    return shapes
