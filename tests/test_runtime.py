"""The runner: zero-copy results, nothing allocated per run, budgets, checks, cached machine code,
parameters and partial re-runs."""

import dataclasses
import time

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, f32_bits, with_param, write_nodes
from hypothesis import given, settings
from hypothesis import strategies as st

from ndg.cli import main
from ndg.compiler.driver import compile_text, read_source
from ndg.errors import UserError
from ndg.runtime.abi import GUARD_WORD
from ndg.runtime.engine import RunError, Runner
from ndg.runtime.plan import Region, save_plan
from ndg.runtime.validate import PlanInvalid, validate_plan

pytestmark = pytest.mark.toolchain

NODES = {
    # Steps a linear congruential generator `count` times; a negative count never stops.
    "spin": ({"outputs": ["integer"], "inputs": {"count": {"type": "integer", "value": 1}}}, """
pub fn execute(count: i32) -> i32 {
    let mut state: u32 = 1;
    let mut done = 0;
    while count < 0 || done < count {
        state = state.wrapping_mul(1664525).wrapping_add(1013904223);
        done += 1;
    }
    state as i32
}
"""),
    # Fills its 8-word slot with a path item whose points are not whole (x, y, z, w) groups.
    "broken": ({"outputs": ["path"], "inputs": {"seed": {"type": "integer", "value": 0}}, "size": "8"}, """
use ndg_util::{NodeResult, Writer};

pub fn execute(seed: i32, out: &mut Writer) -> NodeResult {
    for word in [0, 5, 0, seed, 0, 0, 1, 1] {
        out.push(word)?;
    }
    Ok(())
}
"""),
}

GRAPH = """
half = float(value: 0.5)
scale = math(op_type: 2, a: half, b: 3)
other = float(value: 2)
offset = math(op_type: 0, a: other, b: 1)
output(input: box(size: scale))
"""


@pytest.fixture(scope="module")
def extra_nodes(tmp_path_factory):
    return write_nodes(tmp_path_factory.mktemp("nodes"), NODES)


@pytest.fixture(scope="module")
def basics():
    compiled = compile_text(read_source(EXAMPLES / "basics.ndg"), "basics.ndg")
    return compiled.plan, compiled.module.wasm


@pytest.fixture(scope="module")
def with_size_param():
    compiled = compile_text(GRAPH, "graph.ndg")
    return with_param(compiled.plan, "half", "value", "half", min=0.0, max=10.0), compiled.module.wasm


def test_results_are_read_only_views_of_the_one_memory(basics):
    with Runner(*basics) as runner:
        first = runner.run()
        address = first.__array_interface__["data"][0]
        assert not first.flags.writeable and not first.flags.owndata
        assert np.shares_memory(first, runner.value(runner.plan.output))
        pages = runner.memory.data_len(runner.store)
        for _ in range(500):
            result = runner.run(full=True)
        assert result.__array_interface__["data"][0] == address
        assert runner.memory.data_len(runner.store) == pages
        assert len(result) == 95 and result[:5].tolist() == [0, 1, 0, 88, 1]
        with pytest.raises(ValueError):
            result[0] = 7


def test_a_view_outlives_close_and_a_closed_runner_refuses_to_run(basics):
    runner = Runner(*basics)
    result = runner.run()
    expected = result.copy()
    runner.close()
    runner.close()
    assert result.tolist() == expected.tolist()  # the view keeps its memory alive
    with pytest.raises(UserError, match="closed"):
        runner.run()


def test_stepped_and_checked_runs_give_the_fused_bytes(basics):
    with Runner(*basics) as runner:
        fused = runner.run().copy()
        assert runner.run(stepped=True, full=True).tolist() == fused.tolist()
        assert runner.run(check=True, full=True).tolist() == fused.tolist()
        assert len(runner.profile()) == len(runner.plan.steps)


def test_the_module_call_alone_computes_the_run_and_leaves_the_next_run_complete(with_size_param):
    plan, module = with_size_param
    with Runner(plan, module) as runner, Runner(plan, module) as fresh:
        expected = fresh.run().tolist()
        runner.call_module()
        assert runner.value(plan.output).tolist() == expected
        assert runner.steps_to_update() == list(range(len(plan.steps)))


def test_second_load_uses_cached_machine_code(basics, tmp_path, monkeypatch):
    monkeypatch.setenv("NDG_CACHE_DIR", str(tmp_path))
    first, second = Runner(*basics), Runner(*basics)
    assert (first.code_cached, second.code_cached) == (False, True)
    assert sorted(p.suffix for p in (tmp_path / "compiled").iterdir()) == [".cwasm", ".sha256"]
    assert second.run().tolist() == first.run().tolist()


def test_a_node_that_runs_too_long_is_stopped_and_the_runner_stays_usable(extra_nodes):
    compiled = compile_text("fine = spin(count: 10)\nstuck = spin(count: -1)\noutput(input: box())\n",
                            "plant.ndg", (extra_nodes,))
    runner = Runner(compiled.plan, compiled.module.wasm, budget=5_000_000)
    for _ in range(2):
        with pytest.raises(RunError) as error:
            runner.run()
        assert "node `stuck` (plant.ndg:2) exceeded its budget" in error.value.message
    runner.empty_call()  # a fresh instance on the same plan answers again


def test_by_default_a_stuck_node_is_stopped_by_the_timeout_and_named(extra_nodes):
    compiled = compile_text("fine = spin(count: 10)\nstuck = spin(count: -1)\noutput(input: box())\n",
                            "plant.ndg", (extra_nodes,))
    runner = Runner(compiled.plan, compiled.module.wasm, timeout=0.05)
    assert runner.metering == "deadline"
    started = time.perf_counter()
    with pytest.raises(RunError) as error:
        runner.run()
    assert 0.05 <= time.perf_counter() - started < 5
    assert error.value.message == ("node `stuck` (plant.ndg:2) was still running when the run's "
                                   "0.05-second timeout passed")
    # The deadline is per run: a fresh instance runs the next one from the start.
    with pytest.raises(RunError, match=r"0\.05-second timeout"):
        runner.run(stepped=True)
    runner.empty_call()


def test_cli_timeout(tmp_path, extra_nodes):
    source = tmp_path / "stuck.ndg"
    source.write_text("stuck = spin(count: -1)\noutput(input: box())\n")
    result = CliRunner().invoke(main, ["run", str(source), "-q", "--nodes", str(extra_nodes), "--timeout", "0.02"])
    assert result.exit_code == 2
    assert f"node `stuck` ({source}:1) was still running when the run's 0.02-second timeout passed" in result.output
    assert "raise it with `--timeout`" in result.output


def test_budget_is_per_run_and_changeable(extra_nodes):
    compiled = compile_text("s = spin(count: 2000000)\noutput(input: box())\n", "g.ndg", (extra_nodes,))
    runner = Runner(compiled.plan, compiled.module.wasm, budget=100_000)
    with pytest.raises(RunError, match="exceeded its budget"):
        runner.run()
    runner.budget = 10_000_000
    for _ in range(3):
        runner.run(full=True)
    assert runner.node_value("s").tolist() == [lcg(2_000_000)]


def lcg(count: int) -> int:
    state = 1
    for _ in range(count):
        state = (state * 1664525 + 1013904223) % 2**32
    return state - 2**32 if state >= 2**31 else state


def test_check_reports_a_malformed_bulk_output(extra_nodes):
    compiled = compile_text("p = broken(seed: 3)\noutput(input: box())\n", "g.ndg", (extra_nodes,))
    runner = Runner(compiled.plan, compiled.module.wasm)
    runner.run()  # unchecked runs trust the node
    with pytest.raises(RunError) as error:
        runner.run(check=True, full=True)
    assert "node `p` (g.ndg:1) wrote a malformed path: path item's points are not whole" in error.value.message


def with_guard(plan):
    """The plan with a guard region after every other region, as the planner places them between slots."""
    at = -(-max(r.end for r in plan.regions) // 16) * 16
    return dataclasses.replace(plan, regions=(*plan.regions, Region("guard", "after the last slot", at, 16)))


def test_guard_words_are_written_at_load_and_checked_after_each_step(basics):
    plan, module = basics
    guarded = with_guard(plan)
    validate_plan(guarded)
    runner = Runner(guarded, module)
    guard = guarded.regions[-1]
    assert runner.memory.read(runner.store, guard.offset, guard.end) == GUARD_WORD.to_bytes(4, "little") * 4
    assert runner.run(check=True).tolist() == Runner(plan, module).run().tolist()
    runner.memory.write(runner.store, b"\0\0\0\0", guard.offset + 4)  # as a node overrunning its slot would
    with pytest.raises(RunError, match=r"node `half` \(basics.ndg:5\) wrote outside its output slot"):
        runner.run(check=True, full=True)


def test_plans_may_not_ask_for_more_than_a_gibibyte(basics):
    with pytest.raises(PlanInvalid, match="between 1 and 16384"):
        validate_plan(dataclasses.replace(basics[0], memory_pages=16385))


def test_profiles_give_each_steps_time_less_the_host_call_never_below_zero(basics, monkeypatch):
    # Not timed against each other (a loaded machine would make that flaky): the call's cost is
    # set, and what comes back is each step's measured call time less it.
    with Runner(*basics) as runner:
        assert runner.call_cost() > 0
        monkeypatch.setattr(Runner, "call_cost", lambda self, repeats=50: 0)
        whole = runner.profile()
        assert len(whole) == len(runner.plan.steps) and min(whole) > 0 and runner.fused_time() > 0
        monkeypatch.setattr(Runner, "call_cost", lambda self, repeats=50: 10**12)
        assert runner.profile() == [0] * len(runner.plan.steps) and runner.fused_time() == 0
        profiled = runner.run().tolist()  # profiling leaves the runner usable
    with Runner(*basics) as fresh:
        assert profiled == fresh.run().tolist()


def test_cli_profile_check_and_budget(tmp_path, basics):
    save_plan(tmp_path / "b.ndp", *basics)
    result = CliRunner().invoke(main, ["run", str(tmp_path / "b.ndp"), "--profile", "--check"])
    assert result.exit_code == 0, result.output
    assert "checked: every output and guard word after each of 8 steps" in result.output
    assert "output.input" in result.output and "total: nodes" in result.output
    assert "(one call, measured alike)" in result.output
    starved = CliRunner().invoke(main, ["run", str(tmp_path / "b.ndp"), "--budget", "50"])
    assert starved.exit_code == 2
    assert "node `half` (basics.ndg:5) exceeded its budget" in starved.output


def test_set_param_checks_type_range_and_name(with_size_param):
    runner = Runner(*with_size_param)
    with pytest.raises(UserError, match=r"parameter `half` \(float from 0.0 to 10.0\) cannot be 11: `half` takes values from 0.0 to 10.0"):
        runner.set_param("half", 11)
    with pytest.raises(UserError, match="expected a finite number"):
        runner.set_param("half", "big")
    with pytest.raises(UserError, match="no parameter `helf`") as error:
        runner.set_param("helf", 1.0)
    assert error.value.hint == "its parameters are: `half`"


def test_partial_rerun_runs_only_dependent_steps_and_matches_a_full_run(with_size_param):
    plan, module = with_size_param
    runner = Runner(plan, module)
    runner.run()
    names = [s.node for s in plan.steps]
    runner.set_param("half", 2.0)
    assert [names[i] for i in runner.steps_to_update()] == ["half", "scale", "output.input", "output"]
    # Poison a slot that does not depend on the parameter: a partial re-run must leave it alone.
    offset = plan.values[plan.steps[names.index("offset")].output]
    runner.memory.write(runner.store, (12345).to_bytes(4, "little"), offset.offset)
    partial = runner.run().tolist()
    assert runner.node_value("offset").tolist() == [12345]
    assert runner.node_value("scale").tolist() == [f32_bits(6.0)]
    fresh = Runner(plan, module)
    fresh.set_param("half", 2.0)
    assert fresh.run().tolist() == partial
    assert runner.steps_to_update() == []


@settings(max_examples=30, deadline=None)
@given(st.lists(st.one_of(st.floats(0, 10, width=32), st.just("run")), max_size=12))
def test_any_sequence_of_changes_and_runs_matches_full_runs(with_size_param, actions):
    plan, module = with_size_param
    runner, reference = Runner(plan, module), Runner(plan, module)
    for action in [*actions, "run"]:
        if action == "run":
            assert runner.run().tolist() == reference.run(full=True).tolist()
            assert [runner.value(i).tolist() for i in range(len(plan.values))] == \
                   [reference.value(i).tolist() for i in range(len(plan.values))]
        else:
            runner.set_param("half", action)
            reference.set_param("half", action)


def test_a_failed_run_makes_the_next_run_complete(with_size_param):
    plan, module = with_size_param
    runner = Runner(plan, module, budget=40)
    with pytest.raises(RunError, match="exceeded its budget"):
        runner.run()
    assert len(runner.steps_to_update()) == len(plan.steps)
