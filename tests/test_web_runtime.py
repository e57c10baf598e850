"""The JavaScript runtime (web/src/runtime.js, under Node) gives the Python runtime's bytes for every
example, for generated plant graphs with parameters changed between runs, refuses the plans the
Python runtime refuses, and names failing nodes the same way."""

import dataclasses
import hashlib
import json
import random

import pytest
from conftest import EXAMPLES, write_nodes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from plant_graphs import plant_graph
from test_overruns import NODES as POKE_NODES
from test_run_failures import NODES
from test_untrusted_plans import encode_header, mutate, mutations
from web_runtime import comparable, js_runs, python_runs

from ndg.compiler.driver import compile_text, read_source
from ndg.runtime.engine import Runner
from ndg.runtime.meshes import decode
from ndg.runtime.plan import MAGIC, decode_plan, encode_plan

pytestmark = pytest.mark.toolchain
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.ndg"))


def compiled_bytes(text: str, name: str, **options) -> bytes:
    compiled = compile_text(text, name, **options)
    return encode_plan(compiled.plan, compiled.module.wasm)


def write(folder, name: str, data: bytes):
    path = folder / name
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module")
def example_plans(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plans")
    return {example.stem: write(folder, f"{example.stem}.ndp",
                                compiled_bytes(read_source(example), example.name))
            for example in EXAMPLE_FILES}


def test_every_example_gives_the_python_runtimes_bytes_and_counts(example_plans):
    reports = js_runs(list(example_plans.values()), [{}])
    for (name, path), report in zip(example_plans.items(), reports):
        words = Runner(*decode_plan(path.read_bytes())).run()
        [run] = report["runs"]
        assert run["sha256"] == hashlib.sha256(words.tobytes()).hexdigest(), name
        assert run["counts"] == {"words": len(words), **decode(words.copy()).counts()}, name
        assert run["steps"] == list(range(len(run["steps"])))


def test_parameter_changes_rerun_only_the_dependent_steps_with_the_same_bytes(example_plans):
    runs = [{}, {"length": 6}, {"length": 6}, {"grow": False}, {"length": 0.5, "grow": True}, {}]
    [report] = js_runs([example_plans["parameters"]], runs)
    assert comparable(report) == comparable(python_runs(example_plans["parameters"].read_bytes(), runs))
    assert [run["steps"] for run in report["runs"]][2] == []  # the same value again: nothing to run
    assert report["runs"][1]["steps"] and len(report["runs"][1]["steps"]) < len(report["runs"][0]["steps"])


def test_partial_runs_of_per_use_expressions_choose_the_same_steps(tmp_path):
    # Every step that draws runs again after a change; `unchanged` neither reads `len` nor draws.
    text = """param len: float = 2 in 1..5
stems = stem(amount: 2, length: len, thickness: random(min: 0.1, max: 0.3))
unchanged = box(size: 0.5)
output(input: instance(plant: stems, geometry: box(size: random(min: 0.1, max: 0.2)), amount: 2))
"""
    plan = write(tmp_path, "drawing.ndp", compiled_bytes(text, "drawing.ndg"))
    runs = [{}, {"len": 3}, {"seed": 4}, {"seed": 4}, {}]
    [report] = js_runs([plan], runs)
    assert comparable(report) == comparable(python_runs(plan.read_bytes(), runs))
    assert [len(run["steps"]) for run in report["runs"]] == [5, 4, 4, 0, 0]


def test_reuse_layout_and_compatibility_mode_match(tmp_path):
    text = read_source(EXAMPLES / "tree.ndg")
    reuse = compiled_bytes(text, "tree.ndg", layout="reuse")
    compiled = compile_text(text, "tree.ndg")
    compat = encode_plan(dataclasses.replace(compiled.plan, compat=True), compiled.module.wasm)
    reports = js_runs([write(tmp_path, "reuse.ndp", reuse), write(tmp_path, "compat.ndp", compat)], [{}])
    assert [comparable(r) for r in reports] == [comparable(python_runs(reuse, [{}])), comparable(python_runs(compat, [{}]))]


def _values_for(params, rng: random.Random) -> dict:
    """A value inside each parameter's range, for about half of the parameters."""
    values = {}
    for param in params:
        if rng.random() < 0.5:
            continue
        if param.type == "integer":
            values[param.name] = rng.randint(int(param.min), int(param.max))
        elif param.type == "float":
            values[param.name] = round(rng.uniform(param.min, param.max), 3)
    return values


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), nodes=st.integers(1, 6))
def test_generated_plant_graphs_with_parameter_changes_match(tmp_path, seed, nodes):
    rng = random.Random(seed)
    compiled = compile_text(plant_graph(rng, nodes, with_params=True), "generated.ndg")
    data = encode_plan(compiled.plan, compiled.module.wasm)
    runs = [{}] + [_values_for(compiled.plan.params, rng) for _ in range(3)]
    [report] = js_runs([write(tmp_path, f"g{seed}.ndp", data)], runs)
    assert comparable(report) == comparable(python_runs(data, runs))


@pytest.fixture(scope="module")
def basics_header(example_plans):
    data = example_plans["basics"].read_bytes()
    header_len = int.from_bytes(data[len(MAGIC) + 4 : len(MAGIC) + 8], "little")
    start = len(MAGIC) + 8 + 32
    return json.loads(data[start : start + header_len]), data[start + header_len :]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damaged_plans_get_the_python_runtimes_verdict(tmp_path, basics_header, data):
    header, module = basics_header
    damage = [data.draw(mutations(header)) for _ in range(6)]
    plans = [encode_header(mutate(header, change), module) for change in damage]
    reports = js_runs([write(tmp_path, f"m{i}.ndp", plan) for i, plan in enumerate(plans)], [{}])
    verdicts = [(change, comparable(report)) for change, report in zip(damage, reports)]
    assert verdicts == [(change, comparable(python_runs(plan, [{}]))) for change, plan in zip(damage, plans)]


@pytest.mark.parametrize("name", ["", "a\nb", "tab\there", "\u200bzero-width"])
def test_a_node_named_with_nothing_printable_is_refused_by_both_runtimes(tmp_path, basics_header, name):
    header, module = basics_header
    plan = encode_header({**header, "steps": [{**header["steps"][0], "node": name}, *header["steps"][1:]]}, module)
    [report] = js_runs([write(tmp_path, "named.ndp", plan)], [{}])
    assert "step 0 has an empty or unprintable name" in report["error"]
    assert comparable(python_runs(plan, [{}])) == {"error": True}


def test_negative_zero_where_a_whole_number_belongs_is_refused_by_both_runtimes(tmp_path, basics_header):
    # JSON.parse reads "-0.0" as -0, a whole number to Number.isInteger; Python reads a float.
    header, module = basics_header
    steps = [{**step, "kind": -0.0} if index == 0 else step for index, step in enumerate(header["steps"])]
    plan = encode_header({**header, "steps": steps}, module)
    assert b'"kind": -0.0' in plan or b'"kind":-0.0' in plan
    [report] = js_runs([write(tmp_path, "zero.ndp", plan)], [{}])
    assert "step 0 has bad fields" in report["error"]
    assert comparable(python_runs(plan, [{}])) == {"error": True}


def test_per_node_plans_are_refused_with_the_way_out(tmp_path):
    data = compiled_bytes("output(input: box(size: 2))\n", "box.ndg", modules="per-node")
    [report] = js_runs([write(tmp_path, "per-node.ndp", data)], [{}])
    assert "`--modules single`" in report["error"]


def test_parameter_mistakes_are_named(example_plans):
    reports = js_runs([example_plans["parameters"]] * 3, [{"length": 9}])
    reports += js_runs([example_plans["parameters"]], [{"size": 1}])
    reports += js_runs([example_plans["parameters"]], [{"grow": 1}])
    assert reports[0]["error"] == "parameter `length` (float from 0.5 to 8) cannot be 9: `length` takes values from 0.5 to 8"
    assert reports[3] == {"error": "the plan has no parameter `size`", "hint": "its parameters are: `length`, `grow`"}
    assert reports[4]["error"].endswith("cannot be 1: expected true or false")


@pytest.mark.parametrize("text", [
    "ok = panicky(value: 0.5)\n\nbad = panicky(value: 3)\noutput(input: box())\n",
    "g = greedy(count: 9)\nnext = panicky(value: 0)\noutput(input: box())\n",
    "h = hog(megabytes: 64)\noutput(input: box())\n",
])
def test_failing_nodes_are_named_as_the_python_runtime_names_them(tmp_path, text):
    nodes = write_nodes(tmp_path / "nodes", NODES)
    data = compiled_bytes(text, "plant.ndg", node_paths=(nodes,))
    [report] = js_runs([write(tmp_path, "failing.ndp", data)], [{}])
    assert comparable(report) == comparable(python_runs(data, [{}]))
    assert "failure" in report


@pytest.mark.parametrize("table", ["records", "constants"])
def test_a_node_writing_over_the_plans_tables_is_found_as_the_python_runtime_finds_it(tmp_path, table):
    nodes = write_nodes(tmp_path / "nodes", POKE_NODES)

    def graph(address: int) -> str:
        return f"f = float(value: 2)\np = poke(address: {address}, word: 7)\noutput(input: box(size: f))\n"
    # The tables' place does not depend on the address poked: learned from a first compile.
    address = compile_text(graph(0), "g.ndg", node_paths=(nodes,)).plan.region(table).offset
    data = compiled_bytes(graph(address), "g.ndg", node_paths=(nodes,))
    [report] = js_runs([write(tmp_path, "poking.ndp", data)], [{}, {}])
    assert comparable(report) == comparable(python_runs(data, [{}, {}]))
    assert report["failure"].startswith("a node wrote ")
