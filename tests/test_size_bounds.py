"""Sizes that depend on run-time values: interval evaluation of size rules, the bounds parameters
and computed scalars give, refusals where no bound exists, and runs that write less than planned."""

import pytest
from click.testing import CliRunner
from conftest import f32_bits, write_nodes
from hypothesis import given, settings
from hypothesis import strategies as st
from layout_checks import assert_guards_intact, written_words

from ndg.cli import main
from ndg.compiler.definitions import NodeLibrary
from ndg.compiler.diagnostics import SourceErrors
from ndg.compiler.driver import check, compile_text
from ndg.compiler.sizes import Interval, graph_shapes, output_shape
from ndg.errors import UserError
from ndg.runtime.engine import Runner

LIBRARY = NodeLibrary.load()


def node(name: str):
    return LIBRARY.by_id(f"max/plantarium/{name}")


def test_a_ranged_amount_plans_for_the_most_paths():
    shape = output_shape(node("stem"), {"amount": Interval(1, 10), "resolution_curve": 8}, "stems")
    assert shape.words == 10 * (4 * 8 + 6) + 4
    assert not shape.exact and shape.items is None


def test_known_values_as_intervals_give_the_exact_shape():
    for name, env in [("stem", {"amount": 3, "resolution_curve": 5})]:
        exact = output_shape(node(name), env, name)
        assert output_shape(node(name), {k: Interval.point(v) for k, v in env.items()}, name) == exact
        assert exact.exact and len(exact.items) == 3


# The plant chain stem → branch → instance → output, each integer input either a known value
# or a range; every choice of values inside the ranges writes at most the bound.
ranged = st.integers(0, 3).flatmap(lambda lo: st.tuples(st.just(lo), st.integers(lo, lo + 3)))


def chain_words(amount, depth, resolution, branches, instances) -> list[int]:
    stems = output_shape(node("stem"), {"amount": amount, "resolution_curve": resolution}, "s")
    grown = output_shape(node("branch"), {"plant": stems, "amount": branches, "resolution_curve": resolution,
                                          "depth": depth}, "b")
    regrown = output_shape(node("branch"), {"plant": grown, "amount": branches, "resolution_curve": resolution,
                                            "depth": depth}, "b2")
    box = output_shape(node("box"), {}, "box")
    placed = output_shape(node("instance"), {"plant": regrown, "geometry": box, "amount": instances, "depth": depth}, "i")
    tubes = output_shape(node("output"), {"input": placed, "resolution_circle": resolution}, "o")
    return [v.words for v in (stems, grown, regrown, placed, tubes)]


@settings(max_examples=60, deadline=None)
@given(amount=ranged, depth=ranged, resolution=ranged, branches=ranged, instances=ranged, data=st.data())
def test_interval_sizes_bound_every_value_in_the_ranges(amount, depth, resolution, branches, instances, data):
    shift = {"amount": 1, "depth": 1, "resolution": 3, "branches": 0, "instances": 0}
    ranges = {k: (lo + shift[k], hi + shift[k]) for k, (lo, hi) in
              dict(amount=amount, depth=depth, resolution=resolution, branches=branches, instances=instances).items()}
    bound = chain_words(**{k: Interval(lo, hi) for k, (lo, hi) in ranges.items()})
    values = {k: data.draw(st.integers(lo, hi), label=k) for k, (lo, hi) in ranges.items()}
    exact = chain_words(**values)
    assert all(w <= b for w, b in zip(exact, bound)), (exact, bound)
    # At the top of every range but depth (where fewer levels grow more), the bound is reached.
    if ranges["depth"][0] == ranges["depth"][1]:
        assert chain_words(**{k: hi for k, (lo, hi) in ranges.items()}) == bound


@pytest.fixture(scope="module")
def sized_library(tmp_path_factory):
    """A node whose size reads a float input: `count` straight paths of two points."""
    rust = ("pub fn execute(count: f32, out: &mut ndg_util::Writer) -> ndg_util::NodeResult "
            "{ let _ = (count, out); Ok(()) }\n")
    root = write_nodes(tmp_path_factory.mktemp("nodes"), {
        "sized": ({"outputs": ["path"], "inputs": {"count": {"type": "float", "value": 1}},
                   "size": "paths(count, 2, 1)"}, rust),
        "capped": ({"outputs": ["path"], "inputs": {"count": {"type": "float", "value": 1, "min": 0, "max": 5}},
                    "size": "paths(count, 2, 1)"}, rust),
        "flagged": ({"outputs": ["path"], "inputs": {"flag": {"type": "boolean", "value": False}},
                     "size": "when(flag, paths(3, 2, 1))"}, "pub fn execute(flag: bool, out: &mut ndg_util::Writer) "
                                                           "-> ndg_util::NodeResult { let _ = (flag, out); Ok(()) }\n"),
        "opaque": ({"outputs": ["float"], "inputs": {}}, "pub fn execute() -> f32 { 2.0 }\n"),
    })
    return NodeLibrary.load((root,))


def paths_planned(text: str, library) -> int:
    """How many paths the planner makes room for in node `p`'s output."""
    shape = graph_shapes(check(text + "\noutput(input: p)\n", "sized.ndg", library))["p"]
    return (shape.words - 4) // (6 + 4 * 2)


@pytest.mark.parametrize("text, paths", [
    ("p = sized(count: 2.7)", 2),  # a known float is truncated, as the node does
    ("param x: float = 1 in 0.5..2.5\np = sized(count: x * 2 + 1)", 6),
    ("param x: float = 1 in 0.5..2\np = sized(count: 4 / x)", 8),
    ("param x: float = 1 in 0.5..2\np = sized(count: 3 - x)", 3),  # 1 to 2.5, rounded outward
    ("r = random(min: 1, max: 3.5, seed: 1)\np = sized(count: r)", 4),
    ("param x: float = 1 in 1..2\nf = float(value: x)\np = sized(count: f)", 2),
    ("param mode: integer = 0 in 0..2\nm = math(op_type: mode, a: 3, b: 2)\np = sized(count: m)", 6),  # 5, 1 or 6
    ("v = opaque()\np = capped(count: v)", 5),  # an unknown node: the input's own range
    ("p = flagged(flag: false)", 0),
    ("param g: boolean = false\np = flagged(flag: g)", 3),  # a condition that may hold
    ("param g: boolean = false\nb = boolean(value: g)\np = flagged(flag: b)", 3),
])
def test_run_time_values_are_bounded_through_the_nodes_that_compute_them(sized_library, text, paths):
    assert paths_planned(text, sized_library) == paths


@pytest.mark.parametrize("text, message, hint", [
    ("param x: float = 1\np = sized(count: x)", "which has no bound: parameter `x` has no range",
     "declare a range for `x`: `param x: float = 1.0 in LOW..HIGH`, or use a constant instead"),
    ("param x: float = 1 in -1..1\np = sized(count: 4 / x)", "`p.count` divides by a value whose range holds 0",
     "keep the divisor's range away from 0"),
    ("v = opaque()\np = sized(count: v)", "it comes from `v`, a `opaque` node whose value is only known when the "
     "graph runs, and `count` declares no range", "give `count` a constant, or a parameter declared with a range"),
])
def test_sizes_with_no_bound_are_refused_at_the_input(sized_library, text, message, hint):
    with pytest.raises(SourceErrors) as error:
        paths_planned(text, sized_library)
    rendered = error.value.render()
    assert "error[E402]: the output size of `p` depends on its input `count`" in rendered
    assert message in rendered and hint in rendered
    assert "| p = sized(count: " in rendered


@pytest.mark.toolchain
def test_a_bound_past_wasm32_is_a_compile_error_with_the_numbers():
    text = "param n: integer = 1 in 0..1000000000\noutput(input: instance(plant: stem(), geometry: box(), amount: n))"
    with pytest.raises(UserError, match=r"past the 4,294,967,296 bytes \(4 GiB\) wasm32 can address"):
        compile_text(text, "huge.ndg")


GROWING = """param n: integer = 1 in 1..6
param r: integer = 3 in 3..8
stems = stem(amount: n, resolution_curve: r)
grown = branch(plant: stems, amount: n, resolution_curve: r)
output(input: instance(plant: grown, geometry: box(), amount: n), resolution_circle: 3)
"""


def constant_run(n: int, r: int, layout: str) -> bytes:
    text = GROWING.replace("amount: n", f"amount: {n}").replace("resolution_curve: r", f"resolution_curve: {r}")
    compiled = compile_text(text, "constant.ndg", layout=layout)
    return Runner(compiled.plan, compiled.module.wasm).run().tobytes()


@pytest.mark.toolchain
@pytest.mark.parametrize("layout", ["keep", "reuse"])
def test_one_loaded_plan_runs_small_and_large_parameter_values(layout):
    compiled = compile_text(GROWING, "growing.ndg", layout=layout)
    runner = Runner(compiled.plan, compiled.module.wasm)
    for n, r in [(1, 3), (6, 8), (2, 5), (1, 3)]:
        runner.set_param("n", n)
        runner.set_param("r", r)
        for stepped, check_run in [(False, False), (True, False), (False, True)]:
            words = runner.run(stepped=stepped, check=check_run, full=True)
            assert words.tobytes() == constant_run(n, r, layout), (n, r, stepped, check_run)
            for step in compiled.plan.steps:
                assert written_words(runner, step.output) <= compiled.plan.values[step.output].capacity
            assert_guards_intact(runner)
    # The largest values fill the planned output exactly.
    runner.set_param("n", 6)
    runner.set_param("r", 8)
    runner.run()
    assert written_words(runner, compiled.plan.output) == compiled.plan.values[compiled.plan.output].capacity


@pytest.mark.toolchain
def test_ndg_run_checks_a_large_parameter_value(tmp_path):
    source = tmp_path / "growing.ndg"
    source.write_text(GROWING)
    for assignments in ([], ["--set", "n=6", "--set", "r=8"]):
        result = CliRunner().invoke(main, ["run", str(source), "--check", "-q", "-o", str(tmp_path / "out.bin"),
                                           *assignments])
        assert result.exit_code == 0, result.output
        assert (tmp_path / "out.bin").read_bytes() == constant_run(*(6, 8) if assignments else (1, 3), "keep")


@pytest.mark.toolchain
def test_a_float_parameter_may_default_to_an_end_of_its_range():
    compiled = compile_text("param t: float = 0.84 in 0.84..0.9\noutput(input: box(size: t))", "ends.ndg")
    runner = Runner(compiled.plan, compiled.module.wasm)
    # The box's first vertex sits at (size, -size, -size): word 5 + 36 of the item (after its header and faces).
    assert runner.run(check=True)[2 + 5 + 36] == f32_bits(0.84)
    runner.set_param("t", 0.9)
    assert runner.run(check=True)[2 + 5 + 36] == f32_bits(0.9)
