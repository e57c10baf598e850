"""Properties of plans for generated plant graphs over the whole node library (tests/plant_graphs.py),
with and without parameters, under both layouts: the layout is sound, the sizes are sound against
what the run really writes (exact when every value is known), and `keep` and `reuse` agree."""

import random

import pytest
from hypothesis import given, note, settings
from hypothesis import strategies as st
from layout_checks import assert_guards_intact, assert_layout_is_sound, written_words
from plant_graphs import plant_graph

from ndg.compiler.driver import compile_text
from ndg.runtime.engine import Runner
from ndg.runtime.validate import validate_plan

pytestmark = pytest.mark.toolchain


def assert_within_plan(runner: Runner, exact: bool):
    """Every step wrote at most its slot's capacity, exactly it when the plan is `exact`."""
    for step in runner.plan.steps:
        capacity = runner.plan.values[step.output].capacity
        written = written_words(runner, step.output)
        assert (written == capacity) if exact else (written <= capacity), (step.node, written, capacity)


def random_param_values(plan, rng: random.Random) -> dict:
    return {p.name: rng.randint(p.min, p.max) if p.type == "integer" else rng.uniform(p.min, p.max)
            for p in plan.params}


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32), nodes=st.integers(1, 6), with_params=st.booleans())
def test_generated_plant_graphs_run_soundly_on_both_layouts(seed, nodes, with_params):
    text = plant_graph(random.Random(seed), nodes, with_params)
    note(text)
    outputs = {}
    for policy in ("keep", "reuse"):
        compiled = compile_text(text, "generated.ndg", layout=policy)
        plan = compiled.plan
        validate_plan(plan)
        assert_layout_is_sound(plan)
        runner = Runner(plan, compiled.module.wasm)
        fused = runner.run().tobytes()
        # With no parameter every value is known at compile time: the plan is exact.
        assert_within_plan(runner, exact=not plan.params)
        assert_guards_intact(runner)
        assert runner.run(stepped=True).tobytes() == fused
        assert runner.run(check=True).tobytes() == fused
        outputs[policy] = fused

        new_values = random_param_values(plan, random.Random(seed + 1))  # the same under both layouts
        note(f"set {new_values}")
        for name, value in new_values.items():
            runner.set_param(name, value)
        outputs[f"{policy}, set"] = runner.run(check=True).tobytes()
        assert_within_plan(runner, exact=not plan.params)
        assert_guards_intact(runner)
    assert outputs["keep"] == outputs["reuse"]
    assert outputs["keep, set"] == outputs["reuse, set"]
