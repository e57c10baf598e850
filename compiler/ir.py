"""The graph IR: typed nodes whose arguments are constants or uses of other nodes' outputs."""

from __future__ import annotations

from dataclasses import dataclass, field

from ndg.compiler.definitions import NodeDef
from ndg.compiler.diagnostics import Source, Span
from ndg.compiler.nodarium import STANDARD, Dialect

Scalar = int | float | bool | tuple[float, float, float]


@dataclass(frozen=True)
class Const:
    """A value known at compile time; `type` is None until the type check gives it its input's type."""

    type: str | None
    value: Scalar
    span: Span | None


@dataclass(frozen=True)
class Use:
    """The output of the node named `node`."""

    node: str
    span: Span


@dataclass(frozen=True)
class ParamRef:
    """The run-time value of the graph parameter `name`."""

    name: str
    span: Span


@dataclass(frozen=True)
class Invalid:
    """An argument whose value was wrong and has been reported: the input counts as given, so no
    later pass reports it again (as missing, say)."""

    span: Span


@dataclass(frozen=True)
class Expression:
    """A `float` or `vec3` input its node evaluates per use (compiler/expressions.py): one postfix
    program per component, parameters by name."""

    type: str
    parts: tuple[tuple, ...]
    span: Span


Arg = Const | Use | ParamRef | Invalid | Expression


@dataclass(frozen=True)
class GraphParam:
    """A value fixed in the plan's layout but settable at run time, anywhere in [min, max]."""

    name: str
    type: str
    default: Scalar
    min: float | int | None
    max: float | int | None
    span: Span


@dataclass(frozen=True)
class SettingValue:
    """A graph setting (`resolution.curve: 32`), given to every input that names it in `setting`."""

    value: Scalar
    span: Span


@dataclass(frozen=True)
class Node:
    """`args` are in the order of the definition's inputs; `written` names the inputs given in the
    .ndg in the order they are written there (compatibility mode takes a node's edges in that
    order, as Nodarium takes them in its graph file's order)."""

    name: str
    definition: NodeDef
    args: dict[str, Arg]
    span: Span
    written: tuple[str, ...] = ()

    def uses(self) -> list[str]:
        return [arg.node for arg in self.args.values() if isinstance(arg, Use)]

    def uses_as_written(self) -> list[str]:
        """The nodes this one uses, in the order its arguments are written."""
        order = [*(name for name in self.written if name in self.args), *(name for name in self.args if name not in self.written)]
        return [arg.node for arg in (self.args[name] for name in order) if isinstance(arg, Use)]


@dataclass(frozen=True)
class Graph:
    """Nodes in source order until `order` puts them in execution order; `output` names the sink.
    `dialect` holds the Nodarium rules the graph is compiled by. `runs`, when set, is the order the
    steps run in instead, a node once per run (compatibility mode runs some nodes several times:
    ndg.compiler.nodarium.execution)."""

    source: Source
    nodes: dict[str, Node] = field(default_factory=dict)
    output: str | None = None
    params: dict[str, GraphParam] = field(default_factory=dict)
    settings: dict[str, SettingValue] = field(default_factory=dict)
    dialect: Dialect = STANDARD
    runs: tuple[str, ...] | None = None

    @property
    def compat(self) -> bool:
        """Whether the graph is compiled in compatibility mode (Nodarium's bugs and order too)."""
        return self.dialect.reproduces_bugs or self.dialect.compat_setting_on(self.settings)

    def __str__(self) -> str:
        lines = [f"graph {self.source.name} (output: {self.output})"]
        lines += [f"  setting {key} = {setting.value!r}" for key, setting in self.settings.items()]
        lines += [f"  param {p.name}: {p.type} = {p.default!r} in {p.min!r}..{p.max!r}" for p in self.params.values()]
        for node in self.nodes.values():
            args = ", ".join(f"{name}: {_describe(arg)}" for name, arg in node.args.items())
            lines.append(f"  {node.name} = {node.definition.id}({args})  @{node.span.line}:{node.span.col}")
        return "\n".join(lines)


def _describe(arg: Arg) -> str:
    if isinstance(arg, Use):
        return arg.node
    if isinstance(arg, ParamRef):
        return f"param {arg.name}"
    if isinstance(arg, Invalid):
        return "(invalid)"
    if isinstance(arg, Expression):
        return f"per-use {arg.type} expression"
    return repr(arg.value)
