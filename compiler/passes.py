"""Passes from syntax tree to an ordered, typed graph. Each returns its result and its diagnostics."""

from __future__ import annotations

import math
import operator
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ndg.compiler import syntax
from ndg.compiler.definitions import RESULT_TYPE, InputDef, NodeDef, NodeLibrary
from ndg.compiler.diagnostics import MAX_SHOWN_DIAGNOSTICS, Diagnostic, Span, did_you_mean
from ndg.compiler.ir import (
    Arg,
    Const,
    Graph,
    GraphParam,
    Invalid,
    Node,
    ParamRef,
    SettingValue,
    Use,
)
from ndg.compiler.nodarium import STANDARD, Dialect, Scalar
from ndg.compiler.nodarium.execution import nodarium_order
from ndg.compiler.toposort import stable_order
from ndg.runtime.abi import SCALAR_WORDS, ValueType
from ndg.runtime.scalars import F32_MAX, I32_MAX, I32_MIN, scalar_problem

# The types a graph parameter may have: scalars that need no list of options.
PARAM_TYPES = ("float", "integer", "boolean", "vec3", "seed")
# What a parameter's words can hold, for the message that refuses a range end outside it.
RANGE_OF_TYPE = {"float": f"finite numbers up to ±{F32_MAX:.7g}", "integer": f"whole numbers from {I32_MIN} to {I32_MAX}",
                 "seed": f"whole numbers from {I32_MIN} to {I32_MAX}"}
# Arithmetic whose operands are all integers stays integer (`/` excepted), in ndg's integer node;
# other arithmetic becomes the dialect's math node.
INTEGER_ARITHMETIC_NODE = "ndg/core/int_math"
INTEGER_OPS = {"+": "add", "-": "subtract", "*": "multiply", "//": "floor_divide", "%": "modulo"}
_FOLDED = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
           "//": operator.floordiv, "%": operator.mod}


class _Lowering:
    def __init__(self, program: syntax.Program, library: NodeLibrary, dialect: Dialect):
        self.library = library
        self.dialect = dialect
        self.graph = Graph(program.source, dialect=dialect)
        self.diagnostics: list[Diagnostic] = []
        self.sinks: list[tuple[str, Span]] = []
        self.bound: dict[str, Span] = {}
        self.libraries: list[str] = []
        # Every name a binding introduces, wherever it is: a select input reads a bare name as one
        # of its options unless a node has that name.
        self.binding_values = {s.name: s.value for s in program.statements if isinstance(s, syntax.Binding)}
        self.binding_names = set(self.binding_values)
        # Parameters whose declaration was wrong: reported once there, not again at every use.
        self.broken_params: set[str] = set()

    def error(self, code: str, message: str, span: Span, hint: str | None = None):
        self.diagnostics.append(Diagnostic(code, message, span, hint))

    def resolve_node(self, node_id: str, span: Span) -> NodeDef | None:
        matches = self.library.matching(node_id)
        if len(matches) > 1 and self.libraries:
            matches = [d for d in matches if d.id.rsplit("/", 1)[0] in self.libraries] or matches
        if len(matches) == 1:
            return matches[0]
        if matches:
            ids = ", ".join(f"`{d.id}`" for d in matches)
            library = matches[0].id.rsplit("/", 1)[0]
            self.error("E107", f"`{node_id}` could mean {ids}", span,
                       f"write the full node id, or say which library short names come from: `use {library}`")
        else:
            self.error("E101", f"unknown node type `{node_id}`", span,
                       did_you_mean(node_id, self.library.names()) or "`ndg nodes` lists the node library")
        return None

    def lower_value(self, value: syntax.Expr, name: str, input_def: InputDef | None = None) -> Arg | None:
        if isinstance(value, syntax.Call):
            nested = self.lower_call(value, name)
            return Use(nested, value.span) if nested else None
        if isinstance(value, syntax.Ref):
            return self.lower_ref(value, input_def)
        if isinstance(value, (syntax.BinOp, syntax.Neg)):
            return self.lower_arithmetic(value, name)
        if isinstance(value, syntax.Vec3):
            return Const(None, tuple(float(n.value) for n in value.items), value.span)
        return Const(None, value.value, value.span)

    def lower_ref(self, ref: syntax.Ref, input_def: InputDef | None) -> Arg | None:
        if input_def is not None and input_def.type == "select" and ref.name not in self.binding_names:
            if ref.name in input_def.options:
                return Const(None, input_def.options.index(ref.name), ref.span)
            if ref.name not in self.graph.params:
                options = ", ".join(f"`{o}`" for o in input_def.options)
                self.error("E108", f"`{input_def.name}` has no option `{ref.name}`", ref.span,
                           did_you_mean(ref.name, input_def.options) or f"its options are {options}")
                return None
        if ref.name in self.graph.params:
            return ParamRef(ref.name, ref.span)
        if ref.name in self.broken_params and ref.name not in self.binding_names:
            return None
        return Use(ref.name, ref.span)

    def fold(self, expr: syntax.Expr):
        """The value of arithmetic whose operands are all number literals, else None."""
        if isinstance(expr, syntax.Number):
            return expr.value
        if isinstance(expr, syntax.Neg):
            value = self.fold(expr.operand)
            return None if value is None else -value
        if not isinstance(expr, syntax.BinOp):
            return None
        left, right = self.fold(expr.left), self.fold(expr.right)
        if left is None or right is None:
            return None
        if expr.op in ("/", "//", "%") and right == 0:
            return None
        if expr.op in ("//", "%") and not (isinstance(left, int) and isinstance(right, int)):
            return None  # refused by lower_arithmetic: `//` and `%` are for integers
        try:
            return _FOLDED[expr.op](left, right)
        except OverflowError:  # huge whole numbers divided; the type check reports the value as too big
            return math.inf

    def integer_valued(self, expr: syntax.Expr, seen: frozenset[str] = frozenset()) -> bool:
        """Whether an expression's value is an integer: integer literals and parameters, nodes that
        output integers, and arithmetic other than `/` on those."""
        if isinstance(expr, syntax.Number):
            return expr.is_integer
        if isinstance(expr, syntax.Neg):
            return self.integer_valued(expr.operand, seen)
        if isinstance(expr, syntax.BinOp):
            return expr.op != "/" and self.integer_valued(expr.left, seen) and self.integer_valued(expr.right, seen)
        if isinstance(expr, syntax.Call):
            matches = self.library.matching(expr.node_id)
            return len(matches) == 1 and matches[0].output == "integer"
        if isinstance(expr, syntax.Ref):
            param = self.graph.params.get(expr.name)
            if param is not None:
                return param.type in ("integer", "seed")
            bound = self.binding_values.get(expr.name)
            return bound is not None and expr.name not in seen and self.integer_valued(bound, seen | {expr.name})
        return False

    def lower_arithmetic(self, expr: syntax.BinOp | syntax.Neg, name: str) -> Arg | None:
        """Constant arithmetic folds to a literal; anything else becomes math nodes, one per operator."""
        operands = (expr.operand,) if isinstance(expr, syntax.Neg) else (expr.left, expr.right)
        for operand in operands:
            if isinstance(operand, (syntax.Bool, syntax.Vec3)):
                self.error("E109", "arithmetic works on numbers only", operand.span,
                           "use a number, a parameter or a node that outputs float")
                return None
        integer = all(self.integer_valued(operand) for operand in operands) and getattr(expr, "op", "-") != "/"
        if isinstance(expr, syntax.BinOp) and expr.op in ("//", "%") and not integer:
            self.error("E109", f"`{expr.op}` works on integers, and this operand is not one",
                       next(o for o in operands if not self.integer_valued(o)).span,
                       "make a float an integer first: `round(value: …)`")
            return None
        value = self.fold(expr)
        if value is not None:
            return Const(None, value, expr.span)
        if isinstance(expr, syntax.BinOp) and expr.op in ("/", "//", "%") and self.fold(expr.right) == 0:
            self.error("E109", "division by zero", expr.right.span, "divide by a number other than 0")
            return None
        arithmetic = (self.dialect.arithmetic_node, self.dialect.arithmetic_ops)
        node_id, ops = (INTEGER_ARITHMETIC_NODE, INTEGER_OPS) if integer else arithmetic
        definition = self.resolve_node(node_id, expr.span)
        if definition is None:
            return None
        op_input = definition.input("op_type")
        if op_input is None or not set(ops.values()) <= set(op_input.options) or \
                definition.input("a") is None or definition.input("b") is None:
            self.error("E109", f"arithmetic needs a `math` node like Nodarium's, and `{definition.id}` is not one",
                       expr.span, "use max/plantarium, or write the math node out")
            return None
        if isinstance(expr, syntax.Neg):
            zero = Const(None, 0 if integer else 0.0, expr.span)
            op, left, right = "-", zero, self.lower_value(expr.operand, f"{name}.b")
        else:
            op, left, right = expr.op, self.lower_value(expr.left, f"{name}.a"), self.lower_value(expr.right, f"{name}.b")
        if left is None or right is None:
            return None
        op_index = Const(None, op_input.options.index(ops[op]), expr.span)
        self.graph.nodes[name] = Node(name, definition, {"op_type": op_index, "a": left, "b": right}, expr.span)
        return Use(name, expr.span)

    def lower_call(self, call: syntax.Call, name: str) -> str | None:
        definition = self.resolve_node(call.node_id, call.id_span)
        args: dict[str, Arg] = {}
        for arg in call.args:
            input_def = definition.input(arg.name) if definition else None
            value = self.lower_value(arg.value, f"{name}.{arg.name}", input_def)
            if definition is None:
                continue
            if input_def is None:
                known = [i.name for i in definition.inputs]
                self.error("E103", f"`{definition.short_name}` has no input `{arg.name}`", arg.name_span,
                           did_you_mean(arg.name, known) or f"its inputs are: {', '.join(known) or 'none'}")
            elif arg.name in args:
                self.error("E105", f"input `{arg.name}` is given twice", arg.name_span, "remove one of them")
            else:
                args[arg.name] = Invalid(arg.span) if value is None else value
        if definition is None:
            return None
        self.graph.nodes[name] = Node(name, definition, args, call.span, written=tuple(args))
        return name

    def declare(self, program: syntax.Program):
        """Libraries, settings and parameters first, so statements anywhere in the file can use them."""
        settings_blocks = 0
        for statement in program.statements:
            if isinstance(statement, syntax.Use):
                if not any(d.id.startswith(statement.library + "/") for d in self.library.nodes):
                    libraries = {d.id.rsplit("/", 1)[0] for d in self.library.nodes}
                    self.error("E111", f"no node library is called `{statement.library}`", statement.span,
                               did_you_mean(statement.library, libraries) or f"the libraries are: {', '.join(sorted(libraries))}")
                self.libraries.append(statement.library)
            elif isinstance(statement, syntax.Settings):
                settings_blocks += 1
                if settings_blocks > 1:
                    self.error("E110", "a graph has one settings block, and this is a second one", statement.span,
                               "move these settings into the first block")
                read = self.dialect.graph_settings | {i.setting for d in self.library.nodes for i in d.inputs if i.setting}
                for entry in statement.entries:
                    # A setting no node reads is kept (Nodarium's `randomSeed`), unless it looks like a typo.
                    misspelt = did_you_mean(entry.key, read) if entry.key not in read else None
                    if entry.key in self.graph.settings:
                        self.error("E110", f"setting `{entry.key}` is given twice", entry.key_span, "remove one of them")
                    elif misspelt:
                        self.error("E113", f"no node reads a setting `{entry.key}`", entry.key_span, misspelt)
                    else:
                        self.graph.settings[entry.key] = SettingValue(_literal_value(entry.value), entry.value.span)
            elif isinstance(statement, syntax.Param):
                self.declare_param(statement)

    def declare_param(self, param: syntax.Param):
        if not self.check_param(param):
            self.broken_params.add(param.name)

    def check_param(self, param: syntax.Param) -> bool:
        """Declare the parameter if its declaration is right; report what is wrong otherwise."""
        if param.name in self.graph.params or param.name in self.binding_names:
            self.error("E104", f"`{param.name}` is already a name in this graph", param.name_span,
                       "give this parameter another name")
            return False
        if param.type not in PARAM_TYPES:
            self.error("E112", f"a parameter cannot have type `{param.type}`", param.type_span,
                       did_you_mean(param.type, PARAM_TYPES) or f"the types are: {', '.join(PARAM_TYPES)}")
            return False
        default = _coerce(_literal_value(param.default), InputDef(param.name, param.type))
        if default is None:
            self.error("E201", f"parameter `{param.name}` is {param.type}, but its default is not",
                       param.default.span, _type_hint(InputDef(param.name, param.type)))
            return False
        low, high = (param.low.value if param.low else None), (param.high.value if param.high else None)
        if param.low is not None and param.type not in ("float", "integer", "seed"):
            self.error("E112", f"{_a(param.type)} parameter has no range", param.low.span, "remove `in …`")
            return False
        if param.type != "float" and any(isinstance(b, float) for b in (low, high)):
            self.error("E112", f"the range of {_a(param.type)} parameter takes whole numbers", param.low.span,
                       "write the range as `in 0..10`")
            return False
        for bound, literal in ((low, param.low), (high, param.high)):
            if bound is not None and scalar_problem(param.type, bound):
                self.error("E112", f"this range end does not fit the parameter's type, {param.type}", literal.span,
                           f"a {param.type} parameter holds {RANGE_OF_TYPE[param.type]}")
                return False
        if low is not None and low > high:
            self.error("E112", f"the range {low}..{high} is empty", param.low.span, f"write it as {high}..{low}")
            return False
        if low is not None and not low <= default <= high:
            self.error("E203", f"the default {_literal_text(param.default)} is outside the range {low}..{high}", param.default.span,
                       f"choose a default from {low} to {high}")
            return False
        self.graph.params[param.name] = GraphParam(param.name, param.type, default, low, high, param.span)
        return True

    def lower(self, program: syntax.Program) -> Graph:
        self.declare(program)
        bound = self.bound
        for statement in program.statements:
            if isinstance(statement, syntax.Binding):
                if statement.name in bound:
                    first = bound[statement.name]
                    self.error("E104", f"`{statement.name}` is already bound on line {first.line}",
                               statement.name_span, "give this node another name")
                    continue
                bound[statement.name] = statement.name_span
                value = statement.value
                if not isinstance(value, (syntax.Call, syntax.BinOp, syntax.Neg)) or self.fold(value) is not None:
                    self.error("E106", f"`{statement.name}` must be bound to a node call", value.span,
                               "write the value directly where it is used, or make it a parameter: "
                               f"`param {statement.name}: float = …`")
                    continue
                lowered = self.lower_value(value, statement.name)
                lowered = lowered.node if isinstance(lowered, Use) else None
            elif isinstance(statement, syntax.BareCall):
                lowered = self.lower_call(statement.call, self.sink_name(statement.call))
                if lowered and self.graph.nodes[lowered].definition.output != RESULT_TYPE:
                    self.error("E303", f"the result of `{statement.call.node_id}` is not used", statement.span,
                               "bind it to a name (`name = …`) and use it, or remove it")
            else:
                continue
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
        names = list(self.bound) + list(self.graph.params)
        for node in self.graph.nodes.values():
            for arg in node.args.values():
                if isinstance(arg, Use) and arg.node not in self.bound and arg.node not in self.graph.nodes:
                    self.error("E102", f"no node is named `{arg.node}`", arg.span, self.unbound_hint(arg.node, names))

    def unbound_hint(self, name: str, names: list[str]) -> str:
        if self.library.matching(name):
            return f"`{name}` is a node type; to make one, call it: `{name}()`"
        fallback = "bind a node to that name first: `name = node(…)`"
        # Looking for a close name costs a pass over every name: past the errors shown, it is skipped,
        # so that a file with many errors is still checked in linear time.
        if len(self.diagnostics) >= MAX_SHOWN_DIAGNOSTICS:
            return fallback
        return did_you_mean(name, names) or fallback

    def check_output(self, program: syntax.Program):
        if not self.sinks:
            self.error("E302", "the graph has no output", Span(1, 1, 1, 2),
                       "add a line such as `output(input: my_geometry)`")
        for _name, span in self.sinks[1:]:
            self.error("E302", "a graph has exactly one output, and this is a second one", span,
                       f"the first output is `{self.sinks[0][0]}`; remove one")


def _literal_text(literal: syntax.Literal) -> str:
    if isinstance(literal, syntax.Number):
        return literal.text
    return _shown(_literal_value(literal))


def _literal_value(literal: syntax.Literal):
    if isinstance(literal, syntax.Vec3):
        return tuple(float(n.value) for n in literal.items)
    return literal.value


def lower(program: syntax.Program, library: NodeLibrary, dialect: Dialect = STANDARD) -> tuple[Graph, list[Diagnostic]]:
    """Resolve node types, binding names and argument names into a graph in source order."""
    lowering = _Lowering(program, library, dialect)
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


def _fits_type(value, kind: str) -> bool:
    """Whether a literal is of the right kind for `kind`, whatever its size."""
    if kind == "vec3":
        return isinstance(value, tuple)
    if kind == "float":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind in ("integer", "select", "seed"):
        return isinstance(value, int) and not isinstance(value, bool)
    return kind == "boolean" and isinstance(value, bool)


def _coerce(value, input_def: InputDef):
    """The literal as a value of the input's type, or None where the types do not fit."""
    kind = input_def.type
    if kind not in SCALAR_WORDS or scalar_problem(kind, value) is not None:
        return None
    return float(value) if kind == "float" else value


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
        return f"`{input_def.name}` takes values from {_bound(low, '-∞')} to {_bound(high, '∞')}"
    return None


def _bound(value, missing: str) -> str:
    return missing if value is None else repr(value)


def _a(word: str) -> str:
    """The word with its indefinite article: `an integer`, `a float`."""
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


def _shown(value) -> str:
    """A value as a user writes it: `20` (not 20.0) for a whole number, no Python repr."""
    if value in (math.inf, -math.inf) or (isinstance(value, int) and abs(value) >= 10**30):
        return "a number this big"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    return repr(value)


def _check_const(value, input_def: InputDef, span: Span, what: str) -> tuple[Const | None, Diagnostic | None]:
    """A literal given to an input: its typed constant, or why it does not fit."""
    coerced = _coerce(value, input_def)
    if coerced is None and _fits_type(value, input_def.type):
        shown = _shown(value)
        return None, Diagnostic("E203", f"{shown} does not fit `{what}`", span,
                                f"{input_def.type}: {scalar_problem(input_def.type, value)}")
    if coerced is None:
        return None, Diagnostic("E201", f"`{what}` expects {input_def.type}, found {_type_name(value)}", span,
                                _type_hint(input_def))
    problem = _range_problem(coerced, input_def)
    if problem:
        return None, Diagnostic("E203", f"{_shown(value)} is out of range for `{what}`", span, problem)
    return Const(input_def.type, coerced, span), None


def _check_param(param: GraphParam, input_def: InputDef, span: Span) -> Diagnostic | None:
    """A parameter may feed an input of its own type whose range holds the parameter's whole range."""
    # An integer parameter may choose a select input's option by index.
    same_words = param.type == "integer" and input_def.type in ("seed", "select")
    if param.type != input_def.type and not same_words:
        return Diagnostic("E201", f"`{input_def.name}` expects {input_def.type}, found {param.type} parameter "
                                  f"`{param.name}`", span, f"declare `{param.name}` as {input_def.type}, or use "
                                                           f"{_a(input_def.type)} parameter here")
    low, high = input_def.min, input_def.max
    if input_def.type == "select":
        low, high = 0, len(input_def.options) - 1
    if input_def.type in ("float", "integer", "select") and (
            (low is not None and (param.min is None or param.min < low))
            or (high is not None and (param.max is None or param.max > high))):
        return Diagnostic("E203", f"parameter `{param.name}` can take values outside the range of `{input_def.name}`",
                          span, f"`{input_def.name}` takes values from {_bound(low, '-∞')} to {_bound(high, '∞')}; "
                                f"give `{param.name}` a range inside that")
    return None


def check_types(graph: Graph) -> tuple[Graph, list[Diagnostic]]:
    """Give every literal its input's type, check uses against input types and values against ranges."""
    diagnostics = []
    nodes = {}
    for node in graph.nodes.values():
        args = {}
        for input_name, arg in node.args.items():
            input_def = node.definition.input(input_name)
            if isinstance(arg, Invalid):
                args[input_name] = arg
                continue
            if isinstance(arg, ParamRef):
                problem = _check_param(graph.params[arg.name], input_def, arg.span)
                if problem:
                    diagnostics.append(problem)
                args[input_name] = arg
                continue
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
            const, problem = _check_const(arg.value, input_def, arg.span, input_name)
            if problem:
                diagnostics.append(problem)
            else:
                args[input_name] = const
        nodes[node.name] = replace(node, args=args)
    return replace(graph, nodes=nodes), diagnostics


def _type_hint(input_def: InputDef) -> str:
    examples = {"float": "a number such as 1.5", "integer": "a whole number such as 3", "select": "an option index such as 0",
                "seed": "a whole number such as 42", "boolean": "`true` or `false`", "vec3": "three numbers: [0, 1, 0]"}
    return f"write {examples.get(input_def.type, f'a node that outputs {input_def.type}')}"


# The graph parameter every `seed` input without an argument reads: the run's seed, as Nodarium
# gives every seed input its run seed (`ndg run --seed N`, `program.run(seed=N)`).
RUN_SEED = "seed"
def default_value(input_def: InputDef, fallbacks: Mapping[ValueType, Scalar] = STANDARD.fallback_defaults):
    """The value a scalar input gets when a graph leaves it out: its definition's, or (`fallbacks`)
    Nodarium's editor default for its type."""
    default: Any = input_def.value if input_def.value is not None else fallbacks[input_def.type]
    if input_def.type == "vec3":
        return tuple(float(v) for v in default)
    if input_def.type == "float":
        return float(default)
    if input_def.type == "boolean":
        return bool(default)
    return default


def _range_text(input_def: InputDef) -> str:
    if input_def.min is None and input_def.max is None:
        return ""
    return f", from {_bound(input_def.min, '-∞')} to {_bound(input_def.max, '∞')}"


def fill_defaults(graph: Graph) -> tuple[Graph, list[Diagnostic]]:
    """Give every input without an argument its definition's default (or Nodarium's editor default);
    every `seed` input the run's seed."""
    diagnostics = []
    nodes = {}
    params = dict(graph.params)
    for node in graph.nodes.values():
        args = dict(node.args)
        for input_def in node.definition.inputs:
            if input_def.name in args:
                continue
            if input_def.type == "seed":
                problem = _run_seed_problem(params, node)
                if problem is None:
                    params.setdefault(RUN_SEED, GraphParam(RUN_SEED, "seed", 0, None, None, node.span))
                    args[input_def.name] = ParamRef(RUN_SEED, node.span)
                elif problem not in diagnostics:
                    diagnostics.append(problem)
                continue
            if input_def.setting in graph.settings:
                setting = graph.settings[input_def.setting]
                const, problem = _check_const(setting.value, input_def, setting.span, input_def.setting)
                if problem and problem not in diagnostics:  # one report for every node that reads it
                    diagnostics.append(problem)
                else:
                    args[input_def.name] = const
                continue
            fallbacks = graph.dialect.fallback_defaults
            if input_def.type not in fallbacks:
                diagnostics.append(Diagnostic("E202", f"`{node.definition.short_name}` needs its input `{input_def.name}`",
                                              node.span, f"connect a node that outputs {input_def.type}: `{input_def.name}: …`"))
                continue
            if input_def.required:
                diagnostics.append(Diagnostic("E202", f"`{node.definition.short_name}` needs a value for `{input_def.name}`",
                                              node.span, f"give it one: `{input_def.name}: …` ({input_def.type}"
                                                         f"{_range_text(input_def)}); it has no default"))
                continue
            args[input_def.name] = Const(input_def.type, default_value(input_def, fallbacks), None)
        nodes[node.name] = replace(node, args={i.name: args[i.name] for i in node.definition.inputs if i.name in args})
    return replace(graph, nodes=nodes, params=params), diagnostics


def _run_seed_problem(params: dict[str, GraphParam], node: Node) -> Diagnostic | None:
    declared = params.get(RUN_SEED)
    if declared is None or declared.type in ("seed", "integer"):
        return None
    return Diagnostic("E204", f"`{RUN_SEED}` is declared as a {declared.type}, but it is the run's seed, which "
                      f"`{node.name}`'s seed input reads", declared.span,
                      f"declare it as `param {RUN_SEED}: integer = 0`, or rename the parameter")


def order(graph: Graph) -> tuple[Graph, list[Diagnostic]]:
    """Execution order: every node after the nodes it uses, ties broken by source order; cycles are errors."""
    ordered, stuck = stable_order(graph.nodes, {node.name: node.uses() for node in graph.nodes.values()})
    if not stuck:
        return replace(graph, nodes={n: graph.nodes[n] for n in ordered}), []
    return graph, [_cycle_diagnostic(graph, set(stuck))]


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


def analyse(program: syntax.Program, library: NodeLibrary,
            dialect: Dialect = STANDARD) -> tuple[Graph, list[Diagnostic]]:
    """All front-end passes; diagnostics of independent errors are gathered, not stopped at."""
    graph, diagnostics = lower(program, library, dialect)
    for check in (check_types, fill_defaults):
        graph, found = check(graph)
        diagnostics += found
    for ordering in (order, nodarium_order):
        if not diagnostics:
            graph, found = ordering(graph)
            diagnostics += found
    return graph, diagnostics
