"""Per-use evaluation of scalars fed by `random`, and the run's seed (issue 13; docs/nodarium.md).

The words are held to real Nodarium by tests/test_nodarium_corpus.py; these tests pin the
mechanism: what the planner writes, that every way of running agrees, and the errors."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import f32_bits, load

from ndg.compiler.diagnostics import SourceErrors
from ndg.compiler.driver import compile_text
from ndg.compiler.expressions import OP_CONST, OP_PARAM, OP_RANDOM, STACK_WORDS
from ndg.runtime.engine import Runner
from ndg.runtime.format import PATH, split_items

FIVE_STEMS = """settings { resolution.curve: 3 }
r = random(min: 0.1, max: 0.3)
output(input: stem(amount: 5, thickness: r, origin: vec3(0: r, 1: 0, 2: 1)))
"""


def stem_feet(words) -> list[tuple[float, float]]:
    """(x, thickness) of each stem's first point."""
    return [tuple(item.body[2:6].view("<f4")[[0, 3]].tolist()) for item in split_items(np.asarray(words))
            if item.kind == PATH]


@pytest.mark.toolchain
def test_five_stems_fed_by_one_random_get_five_thicknesses():
    runner = load(FIVE_STEMS)
    feet = stem_feet(runner.run())
    # Each stem evaluates its origin, then its thickness: two draws of its own.
    assert len({thickness for _, thickness in feet}) == 5
    assert len({x for x, _ in feet} | {t for _, t in feet}) == 10
    assert all(0.05 < value < 0.35 for foot in feet for value in foot)


@pytest.mark.toolchain
def test_the_plan_holds_the_program_and_no_step_for_random():
    plan = compile_text(FIVE_STEMS, "five.ndg").plan
    assert [step.node for step in plan.steps] == ["output.input", "output"]
    seed = next(p.value for p in plan.params if p.name == "seed")
    random = (OP_CONST, f32_bits(0.1), OP_CONST, f32_bits(0.3), OP_PARAM, seed, OP_RANDOM)
    programs = {value.words for value in plan.values if value.type == "expression"}
    assert programs == {random, (len(random), *random, 2, OP_CONST, 0, 2, OP_CONST, f32_bits(1.0))}


@pytest.mark.toolchain
def test_counters_start_from_zero_every_run_in_every_way_of_running():
    text = FIVE_STEMS.replace("output(input: stem", "output(input: gravity(strength: random(min: 0, max: 1), plant: stem")
    text = text.replace("1)))", "1))))")
    first = load(text).run().copy()
    for layout, modules in (("keep", "single"), ("reuse", "per-node")):
        compiled = compile_text(text, "stems.ndg", layout=layout, modules=modules)
        with Runner(compiled.plan, compiled.module.wasm) as runner:
            for stepped, check in ((False, False), (True, False), (False, True), (False, False)):
                assert (runner.run(stepped=stepped, check=check) == first).all(), (layout, modules, stepped)


@pytest.mark.toolchain
def test_the_run_seed_changes_what_random_draws_and_an_explicit_seed_wins():
    runner = load(FIVE_STEMS)
    at_zero = runner.run().copy()
    runner.set_param("seed", 1)
    assert (runner.run() != at_zero).any()
    runner.set_param("seed", 0)
    assert (runner.run() == at_zero).all()
    fixed = load(FIVE_STEMS.replace("max: 0.3)", "max: 0.3, seed: 4)"))
    assert "seed" not in {p.name for p in fixed.plan.params}


@pytest.mark.toolchain
def test_a_math_chain_without_random_stays_eager():
    chain = "\n".join(["n0 = float(value: 1)", *(f"n{i} = math(op_type: {i % 3}, a: n{i - 1}, b: 1.5)" for i in range(1, 50)),
                       "output(input: stem(length: n49))"])
    plan = compile_text(chain, "chain.ndg").plan
    assert len(plan.steps) == 52 and all(value.type != "expression" for value in plan.values)


def nested(levels: int) -> str:
    """A stem whose length is 0 + (0 + (… + random)), `levels` deep: `levels` + 3 values on the
    evaluation stack at once (the zeros, then the random's min, max and seed)."""
    lines = ["n0 = random(min: 1, max: 3)"] + [f"n{i} = math(op_type: 0, a: 0, b: n{i - 1})" for i in range(1, levels + 1)]
    return "\n".join([*lines, f"output(input: stem(amount: 3, length: n{levels}))"])


@pytest.mark.toolchain
def test_a_random_nested_as_deep_as_the_evaluation_stack_is_evaluated_per_use():
    plan = compile_text(nested(STACK_WORDS - 3), "deep.ndg").plan
    assert [step.node for step in plan.steps] == ["output.input", "output"]
    assert (load(nested(STACK_WORDS - 3)).run() == load(nested(0)).run()).all()


def test_a_random_nested_past_the_evaluation_stack_is_refused():
    with pytest.raises(SourceErrors, match="E404") as refused:
        compile_text(nested(STACK_WORDS - 2), "deep.ndg")
    assert f"it holds {STACK_WORDS + 1:,} values at once, and a node's evaluation holds {STACK_WORDS:,}" in str(
        refused.value.diagnostics[0].message)
    compile_text(nested(STACK_WORDS - 2).replace("a: 0, b: n", "b: 0, a: n"), "left.ndg")  # two values at most


@pytest.mark.toolchain
def test_a_math_operation_chosen_by_a_parameter_is_evaluated_per_use():
    graph = """param op: integer = 0 in 0..3
r = random(min: 1, max: 3)
output(input: stem(amount: 3, length: math(op_type: op, a: r, b: 2)))
"""
    runner = load(graph)
    plan = runner.plan
    assert [step.node for step in plan.steps] == ["output.input", "output"]
    for op in ("add", "subtract", "multiply", "divide"):
        runner.set_param("op", ["add", "subtract", "multiply", "divide"].index(op))
        fixed = load(graph.replace("op_type: op", f"op_type: {op}"))
        assert (runner.run() == fixed.run()).all(), op


# Two boxes that draw their sizes from the box kind's counter, the second also reading `len`.
TWO_BOXES = """settings { resolution.curve: 4 }
param len: float = 2 in 1..5
first = box(size: random(min: 0.1, max: 0.2))
second = box(size: math(op_type: multiply, a: random(min: 0.1, max: 0.2), b: len))
stems = stem(amount: 2, length: len, thickness: random(min: 0.1, max: 0.3))
leaves = instance(plant: stems, geometry: first, amount: 2)
unchanged = triangle(size: 0.5)
output(input: instance(plant: leaves, geometry: second, amount: 1))
"""


@pytest.mark.toolchain
@pytest.mark.parametrize("length", [3.0, 1.0, 4.5])
def test_a_changed_parameter_re_runs_what_depends_on_it_and_every_step_that_draws(length):
    runner = load(TWO_BOXES)
    runner.run()
    runner.set_param("len", length)
    names = [runner.plan.steps[index].node for index in runner.steps_to_update()]
    # Every step that draws runs again (`first` too: `second` draws after it from the box
    # counter); `unchanged` reads no parameter and draws nothing.
    assert names == ["first", "second", "stems", "leaves", "output.input", "output"]
    assert "unchanged" in [step.node for step in runner.plan.steps]
    fresh = load(TWO_BOXES)
    fresh.set_param("len", length)
    assert (runner.run() == fresh.run()).all()
    assert runner.steps_to_update() == []


def test_a_seed_parameter_of_another_type_is_refused():
    with pytest.raises(SourceErrors, match="E204"):
        compile_text("param seed: float = 1\noutput(input: stem(length: random(min: 1, max: 2)))", "seed.ndg")


def test_ndg_run_takes_the_run_seed(tmp_path):
    source = tmp_path / "five.ndg"
    source.write_text(FIVE_STEMS)
    words = []
    for seed in ("3", "3", "4"):
        out = tmp_path / f"{len(words)}.bin"
        subprocess.run([str(Path(sys.executable).parent / "ndg"), "run", str(source), "--seed", seed, "-q", "-o", str(out)], check=True)
        words.append(out.read_bytes())
    assert words[0] == words[1] != words[2]
