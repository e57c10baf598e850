"""Nodarium graph JSON in and out: readable .ndg, every quirk handled on purpose, and a fixed point."""

import contextlib
import json

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from ndg.cli import main
from ndg.compiler.definitions import NodeLibrary
from ndg.compiler.driver import check
from ndg.compiler.nodarium.interchange import export_graph, import_graph
from ndg.errors import UserError

LIBRARY = NodeLibrary.load()
P = "max/plantarium/"


def node(id_, type_, **props):
    return {"id": id_, "type": P + type_, "position": [0, 0], "props": props}


def graph(nodes, edges, settings_=None):
    return {"settings": settings_ or {}, "nodes": nodes, "edges": edges}


def test_a_clean_graph_reads_like_a_person_wrote_it():
    data = graph([node(9, "output"), node(3, "box"), node(4, "math", op_type=2), node(5, "float", value=1.25),
                  node(6, "float", value=2)],
                 [[5, 0, 4, "a"], [6, 0, 4, "b"], [4, 0, 3, "size"], [3, 0, 9, "input"]],
                 {"resolution.curve": 32})
    imported = import_graph(data, LIBRARY)
    assert imported.warnings == []
    assert imported.text == ("settings {\n    resolution.curve: 32,\n}\n\n"
                             "float = float(value: 1.25)\n"
                             "float_2 = float(value: 2)\n"
                             "math = math(op_type: multiply, a: float, b: float_2)\n"
                             "box = box(size: math)\n"
                             "output(input: box)\n")


def test_props_for_inputs_the_node_does_not_have_are_dropped_with_a_warning():
    data = graph([node(1, "box", size=3, colour=7), node(2, "output")], [[1, 0, 2, "input"]])
    imported = import_graph(data, LIBRARY)
    assert "box = box(size: 3)" in imported.text and "colour" not in imported.text
    assert imported.warnings == ["prop `colour` of node 1 (box) dropped: `box` has no such input"]


@pytest.mark.toolchain
def test_one_node_feeding_two_inputs_of_another_is_one_binding_used_twice(run_ndg):
    data = graph([node(1, "float", value=1.5), node(2, "math", op_type=2), node(3, "box"), node(4, "output")],
                 [[1, 0, 2, "a"], [1, 0, 2, "b"], [2, 0, 3, "size"], [3, 0, 4, "input"]])
    imported = import_graph(data, LIBRARY)
    assert imported.warnings == []
    assert "math = math(op_type: multiply, a: float, b: float)" in imported.text
    runner = run_ndg(imported.text)
    assert [s.node for s in runner.plan.steps].count("float") == 1  # Nodarium runs it twice; once is enough
    assert runner.node_value("math").view("<f4")[0] == 2.25


def test_nodes_that_do_not_feed_the_output_are_dropped_with_a_warning():
    data = graph([node(1, "box"), node(2, "output"), node(7, "math", a=1), node(8, "float")],
                 [[8, 0, 7, "b"], [1, 0, 2, "input"]])
    imported = import_graph(data, LIBRARY)
    assert "math" not in imported.text and "float" not in imported.text
    assert imported.warnings == [
        "node 7 (math) dropped: it does not feed the output, so Nodarium never runs it",
        "node 8 (float) dropped: it does not feed the output, so Nodarium never runs it"]


@pytest.mark.toolchain
def test_missing_props_fall_back_to_the_definition_value(run_ndg):
    data = graph([node(1, "math"), node(2, "box"), node(3, "output")], [[1, 0, 2, "size"], [2, 0, 3, "input"]])
    imported = import_graph(data, LIBRARY)
    assert "math = math()" in imported.text and imported.warnings == []
    assert run_ndg(imported.text).node_value("math").view("<f4")[0] == 4.0  # add, a = b = 2 by definition


def test_a_prop_on_an_input_that_an_edge_feeds_is_dropped_with_a_warning():
    data = graph([node(1, "float", value=3), node(2, "box", size=9), node(3, "output")],
                 [[1, 0, 2, "size"], [2, 0, 3, "input"]])
    imported = import_graph(data, LIBRARY)
    assert "box = box(size: float)" in imported.text
    assert imported.warnings == ["prop `size` of node 2 (box) dropped: an edge feeds that input, and edges win"]


@pytest.fixture
def plant_library(tmp_path):
    """Nodarium-format definition of a stem-like node with a setting and a select without a value."""
    sprout = tmp_path / "sprout"
    sprout.mkdir()
    (sprout / "definition.json").write_text(json.dumps({
        "id": "max/plantarium/sprout", "outputs": ["path"], "size": "paths(amount, resolution_curve, 1)",
        "inputs": {"amount": {"type": "integer", "value": 1, "min": 1, "max": 64},
                   "length": {"type": "float", "value": 5},
                   "shape": {"type": "select", "options": ["straight", "curved"]},
                   "resolution_curve": {"type": "integer", "value": 32, "setting": "resolution.curve"}}}))
    return NodeLibrary.load((tmp_path,))


def test_settings_come_over_and_props_on_setting_inputs_are_dropped(plant_library):
    data = graph([node(1, "sprout", amount=3, shape=1, resolution_curve=99), node(2, "output"),
                  node(3, "sprout", length=2.5, shape=0)],
                 [[1, 0, 2, "input"], [3, 0, 1, "amount"]], {"resolution.curve": 12, "randomSeed": False,
                                                              "theme": "dark"})
    imported = import_graph(data, plant_library)
    assert imported.text == ("settings {\n    resolution.curve: 12,\n    randomSeed: false,\n}\n\n"
                             "sprout = sprout(length: 2.5)\n"  # shape 0: what ndg gives it when left out
                             "sprout_2 = sprout(amount: sprout, shape: curved)\n"
                             "output(input: sprout_2)\n")
    assert "setting `theme` dropped: 'dark' is not a 32-bit number, a boolean or a vec3" in imported.warnings
    assert "prop `resolution_curve` of node 1 (sprout) dropped: it takes the graph setting `resolution.curve`" \
        in imported.warnings
    assert "prop `amount` of node 1 (sprout) dropped: an edge feeds that input, and edges win" in imported.warnings


def test_an_input_nodarium_has_no_value_for_gets_the_editor_default_with_a_warning(plant_library):
    data = graph([node(1, "sprout"), node(2, "output")], [[1, 0, 2, "input"]])
    imported = import_graph(data, plant_library)
    assert imported.text.endswith("sprout = sprout()\noutput(input: sprout)\n")
    assert imported.warnings == ["node 1 (sprout) has no value for `shape` and its definition none either; "
                                 "Nodarium's runtime stops there, ndg uses 0 as Nodarium's editor would"]
    exported, _ = export_graph(check(imported.text, "s.ndg", plant_library))
    assert exported["nodes"][0]["props"] == {"shape": 0}  # written out, so Nodarium's runtime has it


@pytest.mark.parametrize("data, message", [
    ({"edges": []}, "no `nodes` list"),
    (graph([node(1, "box")], []), "no output node"),
    (graph([{"id": 1, "type": "max/plantarium/stme"}, node(2, "output")], []), "does not contain"),
    (graph([node(1, "box"), node(2, "output")], [[1, 0, 5, "input"]]), "does not join two of its nodes"),
    (graph([node(1, "box"), node(1, "output")], []), "two nodes have the id 1"),
])
def test_what_is_not_a_nodarium_graph_is_refused(data, message):
    with pytest.raises(UserError, match=message):
        import_graph(data, LIBRARY)


def test_export_writes_what_nodarium_loads(tmp_path):
    source = tmp_path / "g.ndg"
    source.write_text("settings { resolution.circle: 8 }\nparam s: float = 1.5 in 0..4\n"
                      "m = math(op_type: divide, a: s, b: 4)\noutput(input: box(size: m * 2))\n")
    out = tmp_path / "g.json"
    result = CliRunner().invoke(main, ["export", str(source), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "parameter `s`, which Nodarium does not have; exported as its default 1.5" in result.output
    data = json.loads(out.read_text())
    assert data["settings"] == {"resolution.circle": 8}
    assert [(n["id"], n["type"], n["props"]) for n in data["nodes"]] == [
        (0, P + "math", {"op_type": 3, "a": 1.5, "b": 4.0}),
        (1, P + "math", {"op_type": 2, "b": 2.0}),
        (2, P + "box", {}),
        (3, P + "output", {}),
    ]
    assert data["edges"] == [[0, 0, 1, "a"], [1, 0, 2, "size"], [2, 0, 3, "input"]]
    assert all(len(n["position"]) == 2 for n in data["nodes"])


@pytest.mark.toolchain
def test_import_command_writes_a_file_that_runs(tmp_path):
    source = tmp_path / "g.json"
    source.write_text(json.dumps(graph([node(1, "box", size=3, colour=1), node(2, "output")], [[1, 0, 2, "input"]])))
    result = CliRunner().invoke(main, ["import", str(source), "-o", str(tmp_path / "g.ndg")])
    assert result.exit_code == 0, result.output
    assert "warning: " in result.output and "colour" in result.output
    assert CliRunner().invoke(main, ["run", str(tmp_path / "g.ndg")]).exit_code == 0
    bad = tmp_path / "bad.json"
    bad.write_text("{nodes")
    result = CliRunner().invoke(main, ["import", str(bad)])
    assert result.exit_code == 2 and "is not JSON" in result.output


# Generated Nodarium graphs over the built-in nodes: random props (some for inputs that do not
# exist), random type-correct edges between earlier and later nodes, some nodes left unconnected.
SOURCES = {"float": {"value": st.floats(-100, 100, allow_nan=False)},
           "math": {"op_type": st.integers(0, 3), "a": st.integers(-5, 5), "b": st.floats(0, 1)}}


@st.composite
def nodarium_graphs(draw):
    kinds = draw(st.lists(st.sampled_from(["float", "math"]), min_size=1, max_size=8))
    nodes, edges = [], []
    ids = draw(st.permutations(range(100, 100 + len(kinds) + 2)))
    for index, kind in enumerate(kinds):
        props = {name: draw(values) for name, values in SOURCES[kind].items() if draw(st.booleans())}
        if draw(st.booleans()):
            props["unknown"] = 1
        nodes.append(node(ids[index], kind, **props))
        if kind == "math":
            for input_name in ("a", "b"):
                if index and draw(st.booleans()):
                    edges.append([ids[draw(st.integers(0, index - 1))], 0, ids[index], input_name])
    box_id, output_id = ids[len(kinds)], ids[len(kinds) + 1]
    nodes += [node(box_id, "box"), node(output_id, "output")]
    edges += [[ids[draw(st.integers(0, len(kinds) - 1))], 0, box_id, "size"], [box_id, 0, output_id, "input"]]
    order = draw(st.permutations(range(len(nodes))))
    return graph([nodes[i] for i in order], edges, {"resolution.curve": draw(st.integers(1, 64))})


@settings(max_examples=60, deadline=None)
@given(nodarium_graphs())
def test_import_export_import_is_a_fixed_point(data):
    first = import_graph(data, LIBRARY).text
    exported, warnings = export_graph(check(first, "g.ndg", LIBRARY))
    assert warnings == []
    second = import_graph(json.loads(json.dumps(exported)), LIBRARY)
    assert second.warnings == []
    assert second.text == first


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=10)
node_types = st.sampled_from([P + t for t in ("float", "math", "box", "output", "vec3")])
nodes_json = st.fixed_dictionaries(
    {"id": st.integers(0, 5), "type": node_types},
    optional={"props": st.dictionaries(st.sampled_from(["a", "b", "op_type", "size", "value", "0", "x"]), json_values)})
edges_json = st.lists(st.tuples(st.integers(0, 5), st.just(0), st.integers(0, 5),
                                st.sampled_from(["a", "b", "size", "input", "0", "x"])).map(list)
                      | st.lists(json_values, max_size=5), max_size=8) | json_values
graphs_json = st.one_of(json_values, st.fixed_dictionaries(
    {"nodes": st.lists(nodes_json, max_size=6), "edges": edges_json},
    optional={"settings": st.dictionaries(st.text(max_size=8), json_values) | json_values}))


@settings(max_examples=100, deadline=None)
@given(graphs_json)
def test_import_answers_any_json_with_ndg_text_or_a_user_error(data):
    try:
        imported = import_graph(data, LIBRARY)
    except UserError:
        return
    with contextlib.suppress(UserError):  # a cycle in the graph is reported by check, in the imported text
        check(imported.text, "g.ndg", LIBRARY)


def test_numbers_outside_32_bits_are_dropped_with_a_warning_and_whole_floats_are_integers():
    data = graph([node(1, "math", op_type=2.0, a=10**400, b=1e300), node(2, "box"), node(3, "output")],
                 [[1, 0, 2, "size"], [2, 0, 3, "input"]], {"big": 10**400, "half": 0.5})
    imported = import_graph(data, LIBRARY)
    assert "math = math(op_type: multiply)" in imported.text and "half: 0.5" in imported.text
    assert sorted(imported.warnings) == [
        f"prop `a` of node 1 (math) dropped: {10**400!r} is not a valid float; the definition's value is used",
        "prop `b` of node 1 (math) dropped: 1e+300 is not a valid float; the definition's value is used",
        f"setting `big` dropped: {10**400!r} is not a 32-bit number, a boolean or a vec3"]


def test_settings_block_values_export_without_warnings_and_overrides_warn():
    from conftest import EXAMPLES

    library = NodeLibrary.load()
    plant = check((EXAMPLES / "plant.ndg").read_text(), "plant.ndg", library)
    data, warnings = export_graph(plant)
    assert warnings == []
    assert data["settings"] == {"resolution.circle": 26, "resolution.curve": 39}
    tree = check((EXAMPLES / "tree.ndg").read_text(), "tree.ndg", library)
    _, warnings = export_graph(tree)
    assert warnings and all("resolution_curve` is set to" in w for w in warnings)  # its per-level overrides


def test_export_warnings_write_values_as_json_not_python(tmp_path):
    source = tmp_path / "g.ndg"
    source.write_text("param up: vec3 = [0, 1, 0]\nparam on: boolean = false\nv = vec3(0: 1, 1: 2, 2: 3)\n"
                      "s = stem(origin: up)\nr = rotate(plant: s, spread: on)\noutput(input: r)\n")
    result = CliRunner().invoke(main, ["export", str(source), "-o", str(tmp_path / "g.json")])
    assert result.exit_code == 0, result.output
    assert "exported as its default [0.0, 1.0, 0.0]" in result.output
    assert "exported as its default false" in result.output
    assert "(0.0" not in result.output and "False" not in result.output


def test_a_round_trip_is_stable_at_the_first_step_and_import_writes_formatted_text():
    from ndg.compiler.formatter import format_program
    from ndg.compiler.syntax import parse

    data = graph([node(1, "stem", amount=2), node(2, "noise", strength=2, scale=1.5), node(3, "rotate", angle=1),
                  node(4, "random", min=0.5, max=1.0), node(5, "instance", amount=3), node(6, "box"), node(7, "output")],
                 [[1, 0, 2, "plant"], [2, 0, 3, "plant"], [4, 0, 6, "size"], [3, 0, 5, "plant"], [6, 0, 5, "geometry"],
                  [5, 0, 7, "input"]])
    first = import_graph(data, LIBRARY).text
    assert format_program(parse(first)) == first
    exported, _ = export_graph(check(first, "g.ndg", LIBRARY))
    assert import_graph(exported, LIBRARY).text == first  # no `seed: 0` or `axis: x` added on the way
    assert "seed" not in first and "axis" not in first
