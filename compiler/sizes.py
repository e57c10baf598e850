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

A scalar input known only when the graph runs (a parameter, or a value computed from one) is an
interval, and rules are evaluated over intervals: numbers are ranges, conditions may be unknown,
and items come in groups whose number is a range. The word count is the largest the rule allows,
a sound upper bound; when every input is known, every range is one number and the count is exact.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass
from functools import cache
from importlib import resources

import lark

from ndg.compiler.definitions import InputDef, NodeDef, OutputFraming
from ndg.compiler.diagnostics import Diagnostic, SourceErrors
from ndg.compiler.ir import Const, Expression, Graph, Node, ParamRef, Use
from ndg.errors import UserError
from ndg.runtime.abi import BULK_TYPES, SCALAR_WORDS
from ndg.runtime.format import GEOMETRY, INSTANCES, PATH

LIST_BRACKET_WORDS = 4
ITEM_NAME = "item"
FUNCTIONS = ("paths", "geometry", "instances", "each", "when", "count", "max_depth", "max", "min")
ATTRIBUTES = ("points", "depth", "vertices", "faces", "instances", "is_path")
FIELDS = ("points", "depth", "vertices", "faces", "instances")
# Items are kept in order, group by group, while a value has at most this many groups; past it
# (nested `each` over known counts multiplies them: four levels of 64 branches make millions),
# alike items are merged into one group whatever their place. Sizes stay exact: they are sums.
ORDERED_GROUPS_LIMIT = 4096


@dataclass(frozen=True)
class Interval:
    """The closed range [lo, hi]; bounds are ints inside rules, and may be floats or ±inf for
    scalar values computed before a rule reads them."""

    lo: float
    hi: float

    @classmethod
    def point(cls, value) -> Interval:
        return cls(value, value)

    @property
    def is_point(self) -> bool:
        return self.lo == self.hi

    @property
    def bounded(self) -> bool:
        return math.isfinite(self.lo) and math.isfinite(self.hi)

    def __add__(self, other: Interval) -> Interval:
        return Interval(self.lo + other.lo, self.hi + other.hi)

    def __sub__(self, other: Interval) -> Interval:
        return Interval(self.lo - other.hi, self.hi - other.lo)

    def __mul__(self, other: Interval) -> Interval:
        products = [_times(a, b) for a in (self.lo, self.hi) for b in (other.lo, other.hi)]
        return Interval(min(products), max(products))

    def __truediv__(self, other: Interval) -> Interval:
        """Unbounded when the divisor's range holds 0."""
        if other.lo <= 0 <= other.hi:
            return Interval(-math.inf, math.inf)
        quotients = [a / b for a in (self.lo, self.hi) for b in (other.lo, other.hi)]
        return Interval(min(quotients), max(quotients))

    def hull(self, other: Interval) -> Interval:
        return Interval(min(self.lo, other.lo), max(self.hi, other.hi))

    def as_integer(self) -> Interval:
        """The whole numbers a node can make of these values: a known value truncated as the node
        does, a range rounded outward so that it holds every truncation."""
        if self.is_point:
            return Interval.point(int(self.lo))
        return Interval(math.floor(self.lo), math.ceil(self.hi))

    def __str__(self) -> str:
        return str(self.lo) if self.is_point else f"{self.lo} to {self.hi}"


def _times(a, b):
    """Products where 0 × ∞ is 0: a zero factor makes no words, however large the other."""
    return 0 if a == 0 or b == 0 else a * b


ZERO, ONE = Interval.point(0), Interval.point(1)


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
class ItemBound:
    """An item whose fields are ranges; its kind is always known."""

    kind: int
    points: Interval = ZERO
    depth: Interval = ZERO
    vertices: Interval = ZERO
    faces: Interval = ZERO
    instances: Interval = ZERO

    @classmethod
    def of(cls, item: ItemShape) -> ItemBound:
        return cls(item.kind, *(Interval.point(getattr(item, f)) for f in FIELDS))

    @property
    def largest(self) -> ItemShape:
        return ItemShape(self.kind, *(getattr(self, f).hi for f in FIELDS))

    @property
    def exact(self) -> ItemShape | None:
        if all(getattr(self, f).is_point for f in FIELDS):
            return self.largest
        return None


@dataclass(frozen=True)
class Group:
    """`count` items alike, one after the other."""

    item: ItemBound
    count: Interval


@dataclass(frozen=True)
class BulkValue:
    """What the planner knows of a bulk value: its size (at most `words`, exactly that when
    `exact`), whether it is a list or one item, and its items when its node's rule declares them."""

    words: int
    framing: OutputFraming
    groups: tuple[Group, ...] | None = None
    exact: bool = True
    # False when alike items were merged (see ORDERED_GROUPS_LIMIT): the groups then say how many
    # items of each shape there are, not in which order.
    ordered: bool = True

    @classmethod
    def of_items(cls, items: tuple[ItemShape, ...], framing: OutputFraming) -> BulkValue:
        return cls.of_groups(tuple(Group(ItemBound.of(i), ONE) for i in items), framing)

    @classmethod
    def of_groups(cls, groups: tuple[Group, ...], framing: OutputFraming, ordered: bool = True) -> BulkValue:
        brackets = LIST_BRACKET_WORDS if framing == OutputFraming.LIST else 0
        exact = all(g.count.is_point and g.item.exact is not None for g in groups)
        return cls(brackets + int(sum(g.count.hi * g.item.largest.words for g in groups)), framing, groups, exact, ordered)

    @property
    def items(self) -> tuple[ItemShape, ...] | None:
        """Every item in order, when the value's items are known exactly and in order."""
        if self.groups is None or not self.exact or not self.ordered:
            return None
        return tuple(item for g in self.groups for item in (g.item.exact,) * int(g.count.lo) if item is not None)


@dataclass(frozen=True)
class Unbounded:
    """A scalar input with no range, and why: what a rule that reads it reports."""

    reason: str
    hint: str


class UnboundedSize(UserError):
    """A size rule read an input with no range; `input` names it, for the caret."""

    def __init__(self, message: str, hint: str, input_name: str):
        super().__init__(message, hint)
        self.input = input_name


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


def _compare(operator_: str, a: Interval, b: Interval) -> bool | None:
    """Whether the comparison holds for every value in the ranges (True), for none (False), or
    only for some (None)."""
    if operator_ in ("==", "!="):
        if a.is_point and b.is_point:
            equal = a.lo == b.lo
        elif a.hi < b.lo or b.hi < a.lo:
            equal = False
        else:
            return None
        return equal if operator_ == "==" else not equal
    if operator_ in ("<=", "<"):
        a, b, operator_ = b, a, operator_.replace("<", ">")
    if operator_ == ">=":
        return True if a.lo >= b.hi else False if a.hi < b.lo else None
    return True if a.lo > b.hi else False if a.hi <= b.lo else None


def _scaled(groups: tuple[Group, ...], count: Interval) -> tuple[Group, ...]:
    return tuple(Group(g.item, g.count * count) for g in groups)


def _merged(groups: tuple[Group, ...]) -> tuple[Group, ...]:
    """One group per distinct item, counts added: the same items in another order."""
    counts: dict[ItemBound, Interval] = {}
    for group in groups:
        counts[group.item] = counts.get(group.item, ZERO) + group.count
    return tuple(Group(item, count) for item, count in counts.items())


class _Evaluate(lark.visitors.Interpreter):
    """Values are Intervals, conditions (True, False, or None for "depends on run-time values"),
    and tuples of Groups (items)."""

    def __init__(self, definition: NodeDef, env: dict, node_name: str):
        self.definition = definition
        self.env = env
        self.node_name = node_name
        self.item: tuple[Group, ...] | None = None
        self.ordered = True  # False once alike items were merged, here or in an input

    def fail(self, problem: str) -> UserError:
        return _rule_error(self.definition, problem)

    def number(self, tree):
        return Interval.point(int(tree.children[0]))

    def integer(self, tree) -> Interval:
        value = self.visit(tree)
        if not isinstance(value, Interval):
            raise self.fail("uses items or a condition where it needs a number")
        return value

    def shape(self, tree) -> tuple[Group, ...]:
        value = self.visit(tree)
        if not isinstance(value, tuple):
            raise self.fail("uses a number where it needs items")
        return value

    def condition(self, tree) -> bool | None:
        value = self.visit(tree)
        if not (value is None or isinstance(value, bool)):
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
        if isinstance(value, Unbounded):
            raise UnboundedSize(f"the output size of `{self.node_name}` depends on its input `{name}`, "
                                f"which has no bound: {value.reason}", value.hint, name)
        if isinstance(value, BulkValue):
            if value.groups is None:
                raise UserError(f"the output size of `{self.node_name}` depends on the items of its input `{name}`, "
                                "whose node declares only a word count", "declare that node's size rule as items")
            self.ordered = self.ordered and value.ordered
            return value.groups
        if isinstance(value, tuple):
            raise self.fail(f"uses the vec3 `{name}`, which is not a number")
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, Interval):
            return value.as_integer()
        return Interval.point(int(value))

    def attribute(self, tree):
        groups = self.shape(tree.children[0])
        total = sum((g.count for g in groups), ZERO)
        if total != ONE:
            raise UserError(f"the output size of `{self.node_name}` reads `.{tree.children[1]}` of an input that holds "
                            f"{total} items, not one", "connect a node that outputs a single item")
        item = next(g.item for g in groups if g.count == ONE)
        attribute = str(tree.children[1])
        return item.kind == PATH if attribute == "is_path" else getattr(item, attribute)

    def add(self, tree):
        return self.integer(tree.children[0]) + self.integer(tree.children[1])

    def sub(self, tree):
        return self.integer(tree.children[0]) - self.integer(tree.children[1])

    def mul(self, tree):
        return self.integer(tree.children[0]) * self.integer(tree.children[1])

    def concat(self, tree):
        return self.shape(tree.children[0]) + self.shape(tree.children[1])

    def compare(self, tree):
        left, operator_, right = tree.children
        return _compare(str(operator_), self.integer(left), self.integer(right))

    def both(self, tree):
        conditions = (self.condition(tree.children[0]), self.condition(tree.children[1]))
        if False in conditions:
            return False
        return True if conditions == (True, True) else None

    def _count(self, tree, what: str) -> Interval:
        value = self.integer(tree)
        if value.hi < 0 or (value.is_point and value.lo < 0):
            raise UserError(f"the output size of `{self.node_name}` has {value} {what}",
                            "a size rule must never be negative for values in the inputs' ranges")
        return Interval(max(value.lo, 0), value.hi)

    def _for_each_group(self, source, body):
        """Yields (group, `body` evaluated with `item` bound to one of the group's items)."""
        outer = self.item
        for group in self.shape(source):
            self.item = (Group(group.item, ONE),)
            yield group, self.visit(body)
        self.item = outer

    def call(self, tree):
        function, *arguments = tree.children
        function = str(function)
        arity = {"paths": 3, "geometry": 2, "instances": 3, "each": 2, "when": 2, "count": 2, "max_depth": 1}
        if function in arity and len(arguments) != arity[function]:
            raise self.fail(f"calls {function}(…) with {len(arguments)} arguments instead of {arity[function]}")
        if function == "paths":
            count, points, depth = (self._count(a, "paths, points or depth") for a in arguments)
            return (Group(ItemBound(PATH, points=points, depth=depth), count),)
        if function == "geometry":
            vertices, faces = (self._count(a, "vertices or faces") for a in arguments)
            return (Group(ItemBound(GEOMETRY, vertices=vertices, faces=faces), ONE),)
        if function == "instances":
            vertices, faces, count = (self._count(a, "vertices, faces or instances") for a in arguments)
            return (Group(ItemBound(INSTANCES, vertices=vertices, faces=faces, instances=count), ONE),)
        if function == "each":
            return self._bounded(tuple(g for group, body in self._for_each_group(*arguments)
                                       for g in self._repeat(body, group.count)))
        if function == "count":
            return sum((self._counted(holds, group.count) for group, holds in self._for_each_group(*arguments)), ZERO)
        if function == "when":
            holds, groups = self.condition(arguments[0]), self.shape(arguments[1])
            return groups if holds else () if holds is False else _scaled(groups, Interval(0, 1))
        if function == "max_depth":
            return self._max_depth(self.shape(arguments[0]))
        values = [self.integer(a) for a in arguments]
        pick = max if function == "max" else min
        return Interval(pick(v.lo for v in values), pick(v.hi for v in values))

    def _repeat(self, body, count: Interval) -> tuple[Group, ...]:
        """`body` once for each of `count` items: item by item (so a known shape keeps its item
        order) when the count is known, else every group's count scaled by the range."""
        if not isinstance(body, tuple):
            raise self.fail("uses a number where it needs items")
        if count.is_point and len(body) * count.lo <= ORDERED_GROUPS_LIMIT:
            return body * int(count.lo)
        if count.is_point:
            self.ordered = False
            body = _merged(body)
        return _scaled(body, count)

    def _bounded(self, groups: tuple[Group, ...]) -> tuple[Group, ...]:
        if len(groups) <= ORDERED_GROUPS_LIMIT:
            return groups
        self.ordered = False
        return _merged(groups)

    def _counted(self, holds, count: Interval) -> Interval:
        if holds is not None and not isinstance(holds, bool):
            raise self.fail("needs a condition (a comparison or `.is_path`) here")
        return count if holds else ZERO if holds is False else Interval(0, count.hi)

    @staticmethod
    def _max_depth(groups: tuple[Group, ...]) -> Interval:
        paths = [g for g in groups if g.item.kind == PATH and g.count.hi > 0]
        surely = [g.item.depth.lo for g in paths if g.count.lo > 0]
        return Interval(max(surely, default=0), max((g.item.depth.hi for g in paths), default=0))


def output_shape(definition: NodeDef, env: dict, node_name: str) -> BulkValue:
    """What bulk node `node_name` writes, at most, given its inputs: numbers or Intervals for
    scalars (True, False or None for booleans), BulkValue for bulk ones, Unbounded for a scalar
    with no range."""
    framing = definition.framing if definition.output in BULK_TYPES else OutputFraming.LIST
    evaluate = _Evaluate(definition, env, node_name)
    value = evaluate.visit(parse_rule(definition))
    if value is None or isinstance(value, bool):
        raise _rule_error(definition, "gives a condition, not a size")
    if isinstance(value, Interval):
        if value.hi < 0 or (value.is_point and value.lo < 0):
            raise UserError(f"size rule of `{definition.id}` gives {value} words for these inputs",
                            "a size rule must never be negative for values in the inputs' ranges")
        return BulkValue(int(value.hi), framing, exact=value.is_point)
    total = sum((g.count for g in value), ZERO)
    if framing == OutputFraming.ITEM and total != ONE:
        raise _rule_error(definition, f"gives {total} items for a node whose output is one item")
    groups = tuple(g for g in value if g.count.hi > 0)
    if not evaluate.ordered:
        groups = _merged(groups)
    return BulkValue.of_groups(groups, framing, evaluate.ordered)


# The scalar nodes whose value the planner can bound: what each computes, over Intervals.
MATH_OPERATIONS = {"add": operator.add, "subtract": operator.sub, "multiply": operator.mul,
                   "divide": operator.truediv}
# ndg's own integer nodes, followed like the dialect's scalar nodes.
INTEGER_MATH, ROUND = "ndg/core/int_math", "ndg/core/round"
I32 = Interval(-(2**31), 2**31 - 1)


def _floor_divide(a: Interval, b: Interval) -> Interval:
    """Floor division is monotone in each operand while the divisor keeps its sign: the corners bound it."""
    if b.lo <= 0 <= b.hi:
        return Interval(-math.inf, math.inf)
    quotients = [math.floor(x / y) for x in (a.lo, a.hi) for y in (b.lo, b.hi)]
    return Interval(min(quotients), max(quotients))


def _modulo(a: Interval, b: Interval) -> Interval:
    """A remainder takes the divisor's sign and is smaller than it."""
    if b.lo <= 0 <= b.hi:
        return Interval(-math.inf, math.inf)
    return Interval(0, b.hi - 1) if b.lo > 0 else Interval(b.lo + 1, 0)


INTEGER_OPERATIONS = {"add": operator.add, "subtract": operator.sub, "multiply": operator.mul,
                      "floor_divide": _floor_divide, "modulo": _modulo}


def _no_range_hint(input_def: InputDef) -> str:
    return f"give `{input_def.name}` a constant, or a parameter declared with a range (`in LOW..HIGH`)"


def _param_bound(graph: Graph, ref: ParamRef):
    param = graph.params[ref.name]
    if param.type == "boolean":
        return None
    if param.min is None:
        return Unbounded(f"parameter `{param.name}` has no range",
                         f"declare a range for `{param.name}`: `param {param.name}: {param.type} = "
                         f"{param.default!r} in LOW..HIGH`, or use a constant instead")
    return Interval(param.min, param.max)


def _arg_bound(graph: Graph, arg, input_def: InputDef, bounds: dict):
    """What a rule may assume of a scalar argument: its value, its range, or why it has none."""
    if isinstance(arg, Const):
        if isinstance(arg.value, (bool, tuple)):
            return arg.value
        return Interval.point(arg.value)
    if isinstance(arg, ParamRef):
        return _param_bound(graph, arg)
    if isinstance(arg, Use) and arg.node in bounds:
        return bounds[arg.node]
    if input_def.min is not None and input_def.max is not None:
        return Interval(input_def.min, input_def.max)
    if isinstance(arg, Expression):
        return Unbounded(f"`{input_def.name}` is evaluated per use from a `random`, and declares no range",
                         _no_range_hint(input_def))
    producer = graph.nodes[arg.node].definition.short_name
    return Unbounded(f"it comes from `{arg.node}`, a `{producer}` node whose value is only known when the "
                     f"graph runs, and `{input_def.name}` declares no range", _no_range_hint(input_def))


def _scalar_bound(graph: Graph, node: Node, bounds: dict):
    """The range of the output of a scalar node the graph's dialect follows, or of ndg's integer
    nodes (None: an unknown boolean)."""
    def arg(name):
        return _arg_bound(graph, node.args[name], node.definition.input(name), bounds)

    node_id = node.definition.id
    if node_id in graph.dialect.pass_through_nodes:
        return arg("value")
    if node_id == graph.dialect.random_node:
        low, high = arg("min"), arg("max")
        return low if isinstance(low, Unbounded) else high if isinstance(high, Unbounded) else low.hull(high)
    if node_id == ROUND:
        value = arg("value")
        return value if isinstance(value, Unbounded) else Interval(math.floor(value.lo), math.ceil(value.hi))
    op, a, b = arg("op_type"), arg("a"), arg("b")
    for operand in (op, a, b):
        if isinstance(operand, Unbounded):
            return operand
    options = node.definition.input("op_type").options
    operations = INTEGER_OPERATIONS if node_id == INTEGER_MATH else MATH_OPERATIONS
    result = None
    for index in range(max(op.lo, 0), min(op.hi, len(options) - 1) + 1):
        value = operations[options[index]](a, b)
        result = value if result is None else result.hull(value)
    if result is None or not result.bounded:
        return Unbounded(f"`{node.name}` divides by a value whose range holds 0",
                         "keep the divisor's range away from 0, or use a constant")
    if node_id == INTEGER_MATH and not (I32.lo <= result.lo and result.hi <= I32.hi):
        return Unbounded(f"`{node.name}` can leave the 32 bits of an integer ({result})",
                         "narrow the ranges of its operands")
    return result


def _scalar_env(graph: Graph, node: Node, bounds: dict) -> dict:
    """The bounds of a bulk node's scalar arguments."""
    return {name: _arg_bound(graph, arg, node.definition.input(name), bounds) for name, arg in node.args.items()
            if not isinstance(arg, Use) or graph.nodes[arg.node].definition.output in SCALAR_WORDS}


def graph_shapes(graph: Graph) -> dict[str, BulkValue]:
    """The shape of every bulk node's output, node by node in the graph's order, so that each rule
    reads the shapes of its bulk inputs and the ranges of its scalar ones. A rule that cannot be
    evaluated is reported at the node's call in the source; one that reads an input with no range,
    at that input."""
    shapes: dict[str, BulkValue] = {}
    bounds: dict = {}
    for node in graph.nodes.values():
        if node.definition.id in graph.dialect.followed_nodes or node.definition.id in (INTEGER_MATH, ROUND):
            bounds[node.name] = _scalar_bound(graph, node, bounds)
        if node.definition.output in SCALAR_WORDS:
            continue
        env = _scalar_env(graph, node, bounds)
        env.update({name: shapes[arg.node] for name, arg in node.args.items()
                    if isinstance(arg, Use) and arg.node in shapes})
        try:
            shapes[node.name] = output_shape(node.definition.size_rule(graph.compat), env, node.name)
        except UnboundedSize as error:
            span = getattr(node.args[error.input], "span", None) or node.span
            raise SourceErrors(graph.source, [Diagnostic("E402", error.message, span, error.hint)]) from None
        except UserError as error:
            raise SourceErrors(graph.source, [Diagnostic("E401", error.message, node.span, error.hint)]) from None
    return shapes
