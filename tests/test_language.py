"""The .ndg language: parameters, settings, libraries, arithmetic, select options, seeds — run for real."""

import json
import re

import pytest
from click.testing import CliRunner
from conftest import ROOT, f32_bits, load

from ndg.cli import main
from ndg.compiler.definitions import NodeLibrary
from ndg.compiler.diagnostics import SourceErrors
from ndg.compiler.driver import check
from ndg.compiler.syntax import Comment, parse
from ndg.errors import UserError
from ndg.runtime.engine import RunError
from ndg.runtime.scalars import decode_scalar

LIBRARY = NodeLibrary.load()


def value(runner, node: str):
    step = next(s for s in runner.plan.steps if s.node == node)
    return decode_scalar(runner.plan.values[step.output].type, runner.value(step.output))


def codes(text: str, library=LIBRARY) -> list[str]:
    with pytest.raises(SourceErrors) as caught:
        check(text, "t.ndg", library)
    return sorted(d.code for d in caught.value.diagnostics)


@pytest.mark.toolchain
def test_arithmetic_on_parameters_becomes_math_nodes_and_follows_the_parameter():
    runner = load("param length: float = 2 in 0..10\n"
                  "half = length * 0.5 + 1\n"
                  "output(input: box(size: half))\n")
    assert [p.name for p in runner.plan.params] == ["length"]
    assert [s.node for s in runner.plan.steps] == ["half.a", "half", "output.input", "output"]
    runner.run()
    assert value(runner, "half") == 2.0
    runner.set_param("length", 7)
    runner.run()
    assert value(runner, "half") == 4.5


def test_constant_arithmetic_is_folded_at_compile_time():
    graph = check("m = math(op_type: add, a: (1 + 2) * -3 / 4, b: 2 - -1)\noutput(input: box(size: m))\n",
                  "t.ndg", LIBRARY)
    assert list(graph.nodes) == ["m", "output.input", "output"]
    assert graph.nodes["m"].args["a"].value == -2.25 and graph.nodes["m"].args["b"].value == 3.0


@pytest.mark.toolchain
def test_precedence_and_grouping(run_ndg):
    runner = run_ndg("param x: float = 3\n"
                     "a = 1 + x * 2\n"       # 7
                     "b = (1 + x) * 2\n"     # 8
                     "c = x - 1 - 1\n"       # 1
                     "d = x - (1 - 1)\n"     # 3
                     "e = -x / 2\n"          # -1.5
                     "output(input: box(size: a + b + c + d + e))\n")
    assert [value(runner, n) for n in "abcde"] == [7.0, 8.0, 1.0, 3.0, -1.5]


@pytest.mark.toolchain
def test_select_options_by_name_are_the_definitions_indexes(run_ndg):
    runner = run_ndg("a = math(op_type: subtract, a: 5, b: 2)\nb = math(op_type: divide, a: 5, b: 2)\n"
                     "output(input: box(size: a))\n")
    assert (value(runner, "a"), value(runner, "b")) == (3.0, 2.5)
    assert codes("a = math(op_type: multiplly)\noutput(input: box())\n") == ["E108"]


@pytest.mark.toolchain
def test_an_integer_parameter_chooses_a_select_option(run_ndg):
    runner = load("param op: integer = 2 in 0..3\nm = math(op_type: op, a: 3, b: 4)\noutput(input: box())\n")
    runner.run()
    assert value(runner, "m") == 12.0
    runner.set_param("op", 1)
    runner.run()
    assert value(runner, "m") == -1.0
    assert codes("param op: integer = 2 in 0..4\nm = math(op_type: op)\noutput(input: box())\n") == ["E203"]


@pytest.mark.toolchain
def test_parameter_words_sit_in_the_params_region():
    runner = load("param size: float = 1.5 in 0.5..4\noutput(input: box(size: size))\n")
    param = runner.plan.params[0]
    held = runner.plan.values[param.value]
    region = runner.plan.region("params")
    assert (param.type, param.min, param.max) == ("float", 0.5, 4)
    assert held.words == (f32_bits(1.5),) and region.offset <= held.offset < region.end
    step = next(s for s in runner.plan.steps if s.node == "output.input")
    assert step.inputs == (param.value,)


@pytest.mark.toolchain
def test_set_param_refuses_wrong_types_and_values_outside_the_range():
    runner = load("param size: float = 1.5 in 0.5..4\noutput(input: box(size: size))\n")
    with pytest.raises(UserError, match=r"`size` \(float from 0.5 to 4\) cannot be 5.0"):
        runner.set_param("size", 5.0)
    with pytest.raises(UserError, match="cannot be True"):
        runner.set_param("size", True)
    with pytest.raises(UserError, match="cannot be 1000"):
        runner.set_param("size", 10**400)
    with pytest.raises(UserError, match="no parameter `sise`"):
        runner.set_param("sise", 1.0)


@pytest.mark.parametrize("text, code", [
    ("param n: float = 11 in 0..10\n", "E203"),          # default outside its range
    ("param n: float = 1 in 5..0\n", "E112"),            # empty range
    ("param n: flaot = 1\n", "E112"),                    # unknown type
    ("param n: integer = 1.5\n", "E201"),                # default of the wrong type
    ("param n: boolean = true in 0..1\n", "E112"),       # a boolean has no range
    ("param box: float = 1\nbox = box()\n", "E104"),     # a name taken twice
])
def test_parameter_declarations_are_checked(text, code):
    assert code in codes(text + "output(input: box())\n")


def test_a_parameter_must_fit_the_inputs_type_and_range(tmp_path):
    ranged = tmp_path / "ranged"
    (ranged / "src").mkdir(parents=True)
    (ranged / "definition.json").write_text(json.dumps({
        "id": "test/lang/ranged", "outputs": ["float"],
        "inputs": {"amount": {"type": "integer", "value": 1, "min": 1, "max": 8}}}))
    library = NodeLibrary.load((tmp_path,))
    assert codes("param n: integer = 2 in 0..8\nr = ranged(amount: n)\noutput(input: box())\n", library) == ["E203"]
    assert codes("param n: float = 2\nr = ranged(amount: n)\noutput(input: box())\n", library) == ["E201"]
    check("param n: integer = 2 in 1..8\nr = ranged(amount: n)\noutput(input: box())\n", "t.ndg", library)


@pytest.mark.toolchain
def test_run_set_overrides_parameters_per_run(tmp_path):
    source = tmp_path / "p.ndg"
    source.write_text("param length: float = 2 in 0..10\nhalf = length * 0.5\noutput(input: box(size: half))\n")
    plan = tmp_path / "p.ndp"
    assert CliRunner().invoke(main, ["compile", str(source), "-o", str(plan)]).exit_code == 0
    result = CliRunner().invoke(main, ["run", str(plan), "--set", "length=6"])
    assert result.exit_code == 0, result.output
    assert re.search(r"half +float +3\b", result.output)
    for bad, message in [("length=11", "takes values from 0 to 10"), ("length=x", "is not one"),
                         ("size=1", "no parameter `size`"), ("length", "expected NAME=VALUE")]:
        result = CliRunner().invoke(main, ["run", str(plan), "--set", bad])
        assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_a_size_rule_that_depends_on_a_parameter_with_no_range_is_a_compile_error(tmp_path):
    sized = tmp_path / "sized"
    (sized / "src").mkdir(parents=True)
    (sized / "definition.json").write_text(json.dumps({
        "id": "test/lang/sized", "outputs": ["path"], "size": "4 + count",
        "inputs": {"count": {"type": "integer", "value": 1}}}))
    (sized / "src" / "lib.rs").write_text("pub fn execute(count: i32, out: &mut ndg_util::Writer) -> ndg_util::NodeResult "
                                          "{ let _ = (count, out); Ok(()) }\n")
    with pytest.raises(SourceErrors) as errors:
        load("param n: integer = 3\np = sized(count: n)\noutput(input: box())\n", node_paths=[tmp_path])
    rendered = errors.value.render()
    assert "error[E402]: the output size of `p` depends on its input `count`, which has no bound" in rendered
    assert "2 | p = sized(count: n)" in rendered


SETTING_NODE = ({"outputs": ["float"], "inputs": {
    "resolution": {"type": "integer", "value": 8, "setting": "resolution.curve"},
    "scale": {"type": "float", "value": 1}}},
    "pub fn execute(resolution: i32, scale: f32) -> f32 {\n    resolution as f32 * scale\n}\n")


@pytest.fixture(scope="module")
def setting_nodes(tmp_path_factory):
    root = tmp_path_factory.mktemp("nodes")
    definition, source = SETTING_NODE
    (root / "curve" / "src").mkdir(parents=True)
    (root / "curve" / "definition.json").write_text(json.dumps({"id": "test/lang/curve", **definition}))
    (root / "curve" / "src" / "lib.rs").write_text(source)
    return root


@pytest.mark.toolchain
def test_inputs_with_a_setting_take_the_settings_block_value(setting_nodes):
    runner = load("settings {\n    resolution.curve: 6,\n}\nc = curve(scale: 0.5)\noutput(input: box(size: c))\n",
                  node_paths=[setting_nodes])
    runner.run()
    assert value(runner, "c") == 3.0
    runner = load("c = curve(scale: 0.5)\noutput(input: box(size: c))\n", node_paths=[setting_nodes])
    runner.run()
    assert value(runner, "c") == 4.0  # no setting: the definition's value, 8


def test_settings_are_checked_against_the_inputs_that_read_them(setting_nodes):
    library = NodeLibrary.load((setting_nodes,))
    assert codes("settings { resolution.curve: 1.5 }\nc = curve()\noutput(input: box(size: c))\n", library) == ["E201"]
    assert codes("settings { a: 1 }\nsettings { b: 2 }\noutput(input: box())\n", library) == ["E110"]
    assert codes("settings { a: 1, a: 2 }\noutput(input: box())\n", library) == ["E110"]
    assert codes("settings { resolution.curv: 4 }\noutput(input: box())\n", library) == ["E113"]
    check("settings { randomSeed: true, resolution.circle: 8 }\noutput(input: box())\n", "t.ndg", library)


@pytest.mark.toolchain
def test_an_argument_for_a_setting_input_overrides_the_setting_for_that_node_only(setting_nodes, tmp_path):
    text = ("settings {\n    resolution.curve: 6,\n}\n"
            "a = curve(scale: 1)\nb = curve(resolution: 3, scale: 1)\noutput(input: box(size: a))\n")
    runner = load(text, node_paths=[setting_nodes])
    runner.run()
    assert (value(runner, "a"), value(runner, "b")) == (6.0, 3.0)
    source = tmp_path / "s.ndg"
    source.write_text(text)
    result = CliRunner().invoke(main, ["export", "--nodes", str(setting_nodes), str(source), "-o", str(tmp_path / "s.json")])
    assert result.exit_code == 0
    assert ("`b.resolution` is set to 3 here, but Nodarium gives every `resolution` the graph setting "
            "`resolution.curve`; not exported") in result.output
    exported = json.loads((tmp_path / "s.json").read_text())
    assert [n["props"] for n in exported["nodes"][:2]] == [{"scale": 1.0}, {"scale": 1.0}]


def test_use_picks_the_library_of_an_ambiguous_short_name(tmp_path):
    other = tmp_path / "math"
    other.mkdir()
    (other / "definition.json").write_text(json.dumps({"id": "other/lib/math", "outputs": ["float"], "inputs": {}}))
    library = NodeLibrary.load((tmp_path,))
    assert codes("m = math()\noutput(input: box())\n", library) == ["E107"]
    graph = check("use other/lib\nm = math()\noutput(input: box())\n", "t.ndg", library)
    assert graph.nodes["m"].definition.id == "other/lib/math"
    graph = check("use max/plantarium\nm = math()\noutput(input: box())\n", "t.ndg", library)
    assert graph.nodes["m"].definition.id == "max/plantarium/math"
    assert codes("use max/plantarum\noutput(input: box())\n", library) == ["E111"]


def test_seed_inputs_take_whole_numbers(tmp_path):
    seeded = tmp_path / "seeded"
    seeded.mkdir()
    (seeded / "definition.json").write_text(json.dumps({
        "id": "test/lang/seeded", "outputs": ["float"], "inputs": {"seed": {"type": "seed"}}}))
    library = NodeLibrary.load((tmp_path,))
    graph = check("s = seeded(seed: 42)\noutput(input: box())\n", "t.ndg", library)
    assert graph.nodes["s"].args["seed"].value == 42
    assert codes("s = seeded(seed: 4.2)\noutput(input: box())\n", library) == ["E201"]


def test_float_literals_that_do_not_fit_f32_say_so():
    with pytest.raises(SourceErrors) as caught:
        check("output(input: box(size: 1e39))\n", "t.ndg", LIBRARY)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "E203" and "does not fit" in diagnostic.message
    assert "32-bit float" in diagnostic.hint


def test_arithmetic_mistakes_are_located():
    assert codes("m = math(a: 1 + true)\noutput(input: box())\n") == ["E109"]
    assert codes("param x: float = 1\nm = math(a: x / 0)\noutput(input: box())\n") == ["E109"]
    assert codes("h = 2 * 3\noutput(input: box())\n") == ["E106"]


@pytest.mark.toolchain
def test_parameter_values_survive_a_fresh_instance_after_a_trap(tmp_path):
    panicky = tmp_path / "panicky"
    (panicky / "src").mkdir(parents=True)
    (panicky / "definition.json").write_text(json.dumps({
        "id": "test/lang/panicky", "outputs": ["float"], "inputs": {"value": {"type": "float", "value": 0}}}))
    (panicky / "src" / "lib.rs").write_text(
        "pub fn execute(value: f32) -> f32 {\n    if value > 1.0 {\n        panic!(\"too large\");\n    }\n    value\n}\n")
    runner = load("param v: float = 0.5 in 0..4\np = panicky(value: v)\nq = v * 2\noutput(input: box(size: q))\n",
                  node_paths=[tmp_path])
    runner.set_param("v", 3.0)
    with pytest.raises(RunError, match="too large"):
        runner.run()
    with pytest.raises(RunError, match="too large"):  # a fresh instance, still with v = 3
        runner.run()
    runner.set_param("v", 0.75)
    runner.run()
    assert value(runner, "q") == 1.5


def test_arithmetic_needs_a_nodarium_math_node(tmp_path):
    other = tmp_path / "math"
    other.mkdir()
    (other / "definition.json").write_text(json.dumps({"id": "other/lib/math", "outputs": ["float"], "inputs": {}}))
    library = NodeLibrary.load((tmp_path,))
    assert codes("use other/lib\nparam x: float = 1\nm = x + 1\noutput(input: box())\n", library) == ["E109"]


@pytest.mark.toolchain
def test_the_parameters_example_runs_with_and_without_set():
    source = str(ROOT / "examples" / "parameters.ndg")
    assert CliRunner().invoke(main, ["fmt", "--check", source]).exit_code == 0
    result = CliRunner().invoke(main, ["run", source])
    assert result.exit_code == 0 and re.search(r"size +float +2.5\b", result.output), result.output
    result = CliRunner().invoke(main, ["run", source, "--set", "length=6", "--set", "grow=false"])
    assert re.search(r"size +float +4.5\b", result.output) and re.search(r"keep +boolean +false", result.output)


def test_comments_are_kept_with_their_lines_and_columns():
    program = parse("# head\na = float(value: 1)  # one\n\n  # two\noutput(input: box(size: a)) #three", "c.ndg")
    assert program.comments == (Comment("# head", 1, 1), Comment("# one", 2, 22), Comment("# two", 4, 3),
                                Comment("#three", 5, 29))
