"""Overruns in either direction are found: `--check` compares every finished slot after each step,
and every run compares the constants, parameters and step tables."""

import pytest
from conftest import f32_bits, write_nodes

from ndg.compiler.driver import compile_text
from ndg.runtime.engine import RunError, Runner

pytestmark = pytest.mark.toolchain

NODES = {
    # Writes `word` at byte `address`: a node whose unsafe code writes where it must not.
    "poke": ({"outputs": ["integer"], "inputs": {"address": {"type": "integer", "value": 0},
                                                 "word": {"type": "integer", "value": 0}}}, """
pub fn execute(address: i32, word: i32) -> i32 {
    if address != 0 {
        unsafe { core::ptr::write_volatile(address as usize as *mut i32, word) };
    }
    0
}
"""),
}


@pytest.fixture(scope="module")
def poke_nodes(tmp_path_factory):
    return write_nodes(tmp_path_factory.mktemp("nodes"), NODES)


def _graph(address: int, first_node: str = "f = float(value: 2)") -> str:
    return f"""{first_node}
p = poke(address: {address}, word: {f32_bits(7.0)})
output(input: box(size: f))
"""


def _compile_poking(nodes, target) -> Runner:
    """The graph with `poke` aimed at the slot `target(plan)` picks: the address is learned from a
    first compile; the layout does not depend on it."""
    probe = compile_text(_graph(0), "g.ndg", (nodes,))
    address = target(probe.plan)
    compiled = compile_text(_graph(address), "g.ndg", (nodes,))
    assert target(compiled.plan) == address
    return Runner(compiled.plan, compiled.module.wasm)


def _output_of(node: str):
    def at(plan):
        step = next(s for s in plan.steps if s.node == node)
        return plan.values[step.output].offset
    return at


def test_check_finds_a_node_writing_over_an_earlier_output(poke_nodes):
    runner = _compile_poking(poke_nodes, _output_of("f"))
    with pytest.raises(RunError) as error:
        runner.run(check=True)
    assert error.value.message == "node `p` (g.ndg:2) wrote over the output of node `f` (g.ndg:1)"


def test_every_run_finds_a_node_writing_over_a_constant(poke_nodes):
    def constant(plan):
        return next(v.offset for v in plan.values if v.words == (f32_bits(2.0),))
    runner = _compile_poking(poke_nodes, constant)
    with pytest.raises(RunError, match=r"a node wrote over a constant \(float at \d+\) during the run"):
        runner.run()
    with pytest.raises(RunError, match=r"node `p` \(g.ndg:2\) wrote over a constant \(float at \d+\)"):
        runner.run(check=True, full=True)


def test_a_checked_run_of_a_sound_graph_passes(poke_nodes):
    compiled = compile_text(_graph(0), "g.ndg", (poke_nodes,))
    with Runner(compiled.plan, compiled.module.wasm) as runner:
        assert runner.run(check=True).tolist() == runner.run(full=True).tolist()


def test_every_run_finds_a_node_writing_over_the_step_records(poke_nodes):
    def first_record(plan):  # the record of a step already run: the run goes on to its end
        return plan.region("records").offset
    runner = _compile_poking(poke_nodes, first_record)
    at = runner.plan.region("records").offset
    for _ in range(2):  # the tables are written again after the first: the second run finds it too
        with pytest.raises(RunError) as error:
            runner.run()
        assert error.value.message == f"a node wrote outside its output slot (over the plan's records table at {at})"
