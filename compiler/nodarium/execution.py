"""Nodarium's execution order, repeated runs included, for compatibility mode.

Nodarium's executor (reference/nodarium.md §4.2) walks the graph depth first from the output node
with a stack: each popped node is appended to the list of nodes to run (nothing deduplicates), and
each of its parents, pushed in the order of its incoming edges, gets the popped node's depth + 1
(overwriting whatever depth it had). The list is then sorted by depth, deepest first (a stable
sort), and run in that order. So a node reached along k paths runs k times, each run advancing its
module's random call counter, and a node that last-write-wins depth puts before one of its parents
finds that input missing and stops the run.

ndg's default mode runs each node once, in topological order. Compatibility mode plans the steps
in Nodarium's order instead (`Graph.runs`), each node's incoming edges taken in the order its
arguments are written in the .ndg (`ndg import` writes them in the order of the graph file's
edges, `ndg export` writes the edges in that order).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import replace
from typing import TypeVar

from ndg.compiler.diagnostics import Diagnostic
from ndg.compiler.ir import Graph, Node, Use

Key = TypeVar("Key", bound=Hashable)
# As many node runs as a plan may have steps (runtime/validate.py); Nodarium's walk visits every
# path to the output, which can be exponentially many.
MAX_RUNS = 1_000_000


class TooManyRuns(Exception):
    pass


def nodarium_runs(output: Key, parents: Mapping[Key, Sequence[Key]], limit: int = MAX_RUNS) -> list[Key]:
    """The nodes in the order Nodarium runs them, a node once per path by which it reaches `output`;
    `parents[n]` lists the nodes feeding n in the order of n's incoming edges. Raises TooManyRuns
    past `limit` runs."""
    depth = {output: 0}
    popped: list[Key] = []
    stack = [output]
    while stack:
        node = stack.pop()
        for parent in parents[node]:
            depth[parent] = depth[node] + 1
            stack.append(parent)
        popped.append(node)
        if len(popped) > limit:
            raise TooManyRuns
    return sorted(popped, key=lambda node: -depth[node])


def missing_input(runs: Sequence[Key], reads: Mapping[Key, Sequence[tuple[str, Key]]]) -> tuple[Key, str, Key] | None:
    """Where a run in `runs` order stops with Nodarium's "missing input": the first node, input
    and parent such that the parent has not run yet; `reads[n]` lists n's connected inputs that
    Nodarium reads from an edge (not its seed and setting inputs) as (input, parent)."""
    ran: set[Key] = set()
    for node in runs:
        for input_name, parent in reads[node]:
            if parent not in ran:
                return node, input_name, parent
        ran.add(node)
    return None


def nodarium_order(graph: Graph) -> tuple[Graph, list[Diagnostic]]:
    """In compatibility mode, the graph with `runs` set to Nodarium's order; a diagnostic where
    Nodarium's order makes its run fail or explode."""
    if not graph.compat:
        return graph, []
    parents = {node.name: node.uses_as_written() for node in graph.nodes.values()}
    output = graph.nodes[graph.output]
    try:
        runs = nodarium_runs(output.name, parents, MAX_RUNS)
    except TooManyRuns:
        return graph, [Diagnostic(
            "E406", f"in compatibility mode Nodarium's order runs these nodes more than {MAX_RUNS:,} times: it runs a "
            "node once for every path from it to the output, and nodes shared along many paths multiply those",
            output.span, "leave compatibility mode (remove `ndg.compat: true`): ndg runs each node once")]
    stop = missing_input(runs, {node.name: _read_edges(node) for node in graph.nodes.values()})
    if stop is not None:
        name, input_name, parent = stop
        return graph, [Diagnostic(
            "E405", f"in compatibility mode `{name}` cannot run: Nodarium's order runs it before `{parent}`, "
            f"which feeds its input `{input_name}`, so Nodarium stops with \"missing input\"",
            graph.nodes[name].args[input_name].span,
            "Nodarium orders nodes by the depth of the last path that reached them, not the longest; "
            "leave compatibility mode (remove `ndg.compat: true`) and ndg runs every node after its inputs")]
    return replace(graph, runs=tuple(runs)), []


def _read_edges(node: Node) -> list[tuple[str, str]]:
    """(input, parent) for each input Nodarium reads from its edge: it gives seed and setting
    inputs their value before it looks at an edge."""
    reads = []
    for input_name, arg in node.args.items():
        input_def = node.definition.input(input_name)
        if isinstance(arg, Use) and input_def.type != "seed" and not input_def.setting:
            reads.append((input_name, arg.node))
    return reads
