"""Compatibility mode runs the nodes in Nodarium's order, a node once per path by which it
reaches the output (reference/nodarium.md §4.2; docs/nodarium.md, "Execution order"), and refuses
the graphs on which that order stops Nodarium's run. The corpus (tests/test_nodarium_corpus.py)
holds the order to the node calls real Nodarium made; these tests pin the mechanism."""

import gzip
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ndg.compiler.definitions import NodeLibrary
from ndg.compiler.diagnostics import SourceErrors
from ndg.compiler.driver import check, compile_text
from ndg.compiler.nodarium import execution
from ndg.compiler.nodarium.execution import nodarium_runs
from ndg.compiler.nodarium.interchange import export_graph, import_graph
from ndg.runtime.engine import Runner
from ndg.runtime.validate import validate_plan

# One box, drawn from a random, feeding two instance nodes: reached along two paths.
SHARED_BOX = """settings { resolution.curve: 3, ndg.compat: true }
leaf = box(size: random(min: 0.1, max: 0.9))
twice = instance(plant: instance(plant: stem(amount: 1), geometry: leaf, amount: 1), geometry: leaf, amount: 1)
output(input: twice)
"""


def test_the_walk_is_nodariums_last_write_wins_depth_first_search():
    # reference/nodarium.md §4.2: P→O, Q→O, A→P, R→Q, S→R, A→S: S (depth 3) runs before A (depth 2).
    parents = {"O": ["P", "Q"], "P": ["A"], "Q": ["R"], "R": ["S"], "S": ["A"], "A": []}
    assert nodarium_runs("O", parents) == ["S", "R", "A", "A", "Q", "P", "O"]
    # Nodarium's default template: random #17 feeds the vec3's inputs "0" and "2".
    template = {9: [14], 14: [18], 18: [19], 19: [15], 15: [10], 10: [16, 20], 16: [17, 17], 17: [], 20: []}
    assert nodarium_runs(9, template) == [17, 17, 20, 16, 10, 15, 19, 18, 14, 9]
    with pytest.raises(execution.TooManyRuns):
        nodarium_runs("O", parents, limit=6)


@pytest.mark.toolchain
def test_a_node_reached_along_two_paths_runs_twice_and_its_readers_read_the_second_run():
    plan = compile_text(SHARED_BOX, "box.ndg").plan
    validate_plan(plan)
    assert [step.node for step in plan.steps] == ["leaf", "leaf", "twice.plant.plant", "twice.plant", "twice", "output"]
    first, second = plan.steps[0].output, plan.steps[1].output
    assert first != second and plan.values[first].live_until == 0  # the first run's result is thrown away
    assert all(second in step.inputs and first not in step.inputs for step in plan.steps[3:5])
    default = compile_text(SHARED_BOX.replace(", ndg.compat: true", ""), "box.ndg").plan
    assert [step.node for step in default.steps] == ["leaf", "twice.plant.plant", "twice.plant", "twice", "output"]


@pytest.mark.toolchain
def test_every_way_of_running_a_plan_with_repeated_runs_agrees():
    compiled = compile_text(SHARED_BOX, "box.ndg")
    with Runner(compiled.plan, compiled.module.wasm) as runner:
        first = runner.run().copy()
        box_drawn_twice = runner.node_value("leaf").copy()
    default = compile_text(SHARED_BOX.replace(", ndg.compat: true", ""), "box.ndg")
    with Runner(default.plan, default.module.wasm) as runner:
        assert len(runner.run()) == len(first)
        # The box module's counter moved on for the second run: another size.
        assert (runner.node_value("leaf") != box_drawn_twice).any()
    for layout, modules in (("keep", "per-node"), ("reuse", "single"), ("reuse", "per-node")):
        again = compile_text(SHARED_BOX, "box.ndg", layout=layout, modules=modules)
        with Runner(again.plan, again.module.wasm) as runner:
            for stepped, check in ((False, False), (True, False), (False, True)):
                assert np.array_equal(runner.run(stepped=stepped, check=check), first), (layout, modules, stepped)


NDG = str(Path(sys.executable).parent / "ndg")


def test_compatibility_mode_refuses_a_graph_nodarium_stops_on(tmp_path):
    source = tmp_path / "stops.ndg"
    source.write_text("""settings { ndg.compat: true }
a = float(value: 2)
s = math(op_type: add, a: a, b: 1)
q = math(op_type: add, a: math(op_type: add, a: s, b: 1), b: 1)
output(input: stem(amount: 1, length: math(op_type: add, a: a, b: 1), thickness: q))
""")
    done = subprocess.run([NDG, "check", str(source)], capture_output=True, text=True)
    assert done.returncode == 2
    assert "error[E405]: in compatibility mode `s` cannot run: Nodarium's order runs it before `a`" in done.stderr
    assert f"{source}:3:27" in done.stderr and "leave compatibility mode" in done.stderr
    source.write_text(source.read_text().replace("{ ndg.compat: true }", "{ ndg.compat: false }"))
    assert subprocess.run([NDG, "check", str(source)], capture_output=True).returncode == 0


def test_compatibility_mode_refuses_more_runs_than_a_plan_may_have(monkeypatch):
    monkeypatch.setattr(execution, "MAX_RUNS", 1000)
    # Every level doubles the paths from `n0` to the output: 2^10 runs of it.
    chain = "\n".join(["settings { ndg.compat: true }", "n0 = float(value: 1)",
                       *(f"n{i} = math(a: n{i - 1}, b: n{i - 1})" for i in range(1, 11)), "output(input: stem(length: n10))"])
    with pytest.raises(SourceErrors, match="E406") as refused:
        compile_text(chain, "paths.ndg")
    assert "more than 1,000 times" in str(refused.value.diagnostics[0].message)
    compile_text(chain.replace("ndg.compat: true", "ndg.compat: false"), "paths.ndg")


def test_compatibility_mode_takes_a_nodes_edges_in_the_graph_files_order():
    corpus = json.loads(gzip.decompress((Path(__file__).parent / "fixtures" / "nodarium_corpus.json.gz").read_bytes()))
    library = NodeLibrary.load(())
    # The same graph, the stem's edges the other way round in the file: Nodarium stops on the
    # first, runs the second (the corpus holds its words).
    stops, runs = (corpus[name]["graph"] for name in ("missing_input_last_depth_wins", "run_order_edges_in_file_order"))
    assert sorted(map(tuple, stops["edges"])) == sorted(map(tuple, runs["edges"])) and stops["edges"] != runs["edges"]
    text = import_graph(runs, library, "runs.json", compat=True).text
    assert "stem(amount: 1, thickness: math_3, length: math_4)" in text  # written in the file's order
    assert check(text, "runs.ndg", library).runs is not None
    with pytest.raises(SourceErrors, match="E405"):
        check(import_graph(stops, library, "stops.json", compat=True).text, "stops.ndg", library)
    # Export writes the edges in the order written, so a round trip keeps Nodarium's order.
    exported = export_graph(check(text, "runs.ndg", library))[0]
    stem = next(n["id"] for n in exported["nodes"] if n["type"].endswith("/stem"))
    assert [edge[3] for edge in exported["edges"] if edge[2] == stem] == ["thickness", "length"]
