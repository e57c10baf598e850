"""The graph IR: typed nodes whose arguments are constants or uses of other nodes' outputs."""

from __future__ import annotations

from dataclasses import dataclass, field

from ndg.compiler.definitions import NodeDef
from ndg.compiler.diagnostics import Source, Span

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


Arg = Const | Use


@dataclass(frozen=True)
class Node:
    name: str
    definition: NodeDef
    args: dict[str, Arg]
    span: Span

    def uses(self) -> list[str]:
        return [arg.node for arg in self.args.values() if isinstance(arg, Use)]


@dataclass(frozen=True)
class Graph:
    """Nodes in source order until `order` puts them in execution order; `output` names the sink."""

    source: Source
    nodes: dict[str, Node] = field(default_factory=dict)
    output: str | None = None

    def __str__(self) -> str:
        lines = [f"graph {self.source.name} (output: {self.output})"]
        for node in self.nodes.values():
            args = ", ".join(
                f"{name}: {arg.node if isinstance(arg, Use) else repr(arg.value)}" for name, arg in node.args.items()
            )
            lines.append(f"  {node.name} = {node.definition.id}({args})  @{node.span.line}:{node.span.col}")
        return "\n".join(lines)
