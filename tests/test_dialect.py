"""The Nodarium rules a compilation follows come from its Dialect (ndg.compiler.nodarium): changing
one changes what the passes, the size rules and the plan do, with no Rust build."""

from __future__ import annotations

import dataclasses
import json
from types import MappingProxyType

import pytest

from ndg.compiler.definitions import NodeLibrary
from ndg.compiler.diagnostics import SourceErrors
from ndg.compiler.driver import check, check_with_shapes
from ndg.compiler.ir import Const
from ndg.compiler.nodarium import STANDARD
from ndg.compiler.planner import ModuleInfo, plan_graph
from ndg.runtime.abi import ValueType

LIBRARY = NodeLibrary.load()
SIZED_THROUGH_A_NODE = """
param n: integer = 2 in 1..4
stems = stem(amount: integer(value: n), length: 3)
output(input: stems)
"""


def test_the_standard_dialect_is_what_ndg_did_before():
    assert STANDARD.fallback_defaults[ValueType.FLOAT] == 0.5
    assert "randomSeed" in STANDARD.graph_settings and STANDARD.arithmetic_node == "math"
    assert STANDARD.math_node == "max/plantarium/math" and not STANDARD.reproduces_bugs


def test_sizes_follow_only_the_scalar_nodes_the_dialect_names():
    graph, followed = check_with_shapes(SIZED_THROUGH_A_NODE, "sized.ndg", LIBRARY)
    assert graph.dialect is STANDARD
    unfollowed = dataclasses.replace(STANDARD, pass_through_nodes=frozenset())
    _, unknown = check_with_shapes(SIZED_THROUGH_A_NODE, "sized.ndg", LIBRARY, unfollowed)
    # Followed, the amount is the parameter's 1..4; not followed, the stem input's own 1..64.
    per_stem = (followed["stems"].words - 4) // 4
    assert unknown["stems"].words == 4 + 64 * per_stem


def test_arithmetic_lowers_to_the_dialects_math_node():
    text = "param n: float = 2 in 1..4\noutput(input: box(size: n * 2))\n"
    graph = check(text, "a.ndg", LIBRARY)
    assert [node.definition.id for node in graph.nodes.values()] == [
        "max/plantarium/math", "max/plantarium/box", "max/plantarium/output"]
    with pytest.raises(SourceErrors) as caught:
        check(text, "a.ndg", LIBRARY, dataclasses.replace(STANDARD, arithmetic_node="no_such_node"))
    assert "no_such_node" in caught.value.render()


def test_fallback_defaults_come_from_the_dialect(tmp_path):
    folder = tmp_path / "bare"
    folder.mkdir()
    (folder / "definition.json").write_text(json.dumps({
        "id": "test/bare/bare", "outputs": ["float"], "inputs": {"x": {"type": "float"}}}))
    library = NodeLibrary.load((tmp_path,))
    text = "output(input: box(size: bare()))\n"
    assert check(text, "b.ndg", library).nodes["output.input.size"].args["x"] == Const(ValueType.FLOAT, 0.5, None)
    quarter = dataclasses.replace(STANDARD, fallback_defaults=MappingProxyType(
        {**STANDARD.fallback_defaults, ValueType.FLOAT: 0.25}))
    assert check(text, "b.ndg", library, quarter).nodes["output.input.size"].args["x"] == Const(ValueType.FLOAT, 0.25, None)


def test_a_dialect_that_reproduces_nodariums_bugs_sets_the_plans_compat_flag():
    text = "output(input: box(size: 2))\n"
    kinds = tuple(d.id for d in LIBRARY.nodes)
    module = ModuleInfo("0" * 64, 1, kinds, static_end=1024, min_pages=1)
    for dialect, compat in ((STANDARD, False), (dataclasses.replace(STANDARD, reproduces_bugs=True), True)):
        graph, shapes = check_with_shapes(text, "c.ndg", LIBRARY, dialect)
        assert plan_graph(graph, shapes, module).compat is compat
