"""Failing nodes are stopped and named as the user wrote them; the runner stays usable."""

import struct

import pytest
from conftest import f32_bits, load, write_nodes

from ndg.runtime.abi import GUARD_WORD
from ndg.runtime.engine import RunError

pytestmark = pytest.mark.toolchain

NODES = {
    "panicky": ({"outputs": ["float"], "inputs": {"value": {"type": "float", "value": 0}}}, """
pub fn execute(value: f32) -> f32 {
    if value > 1.0 {
        panic!("value {} is too large", value);
    }
    value * 2.0
}
"""),
    "greedy": ({"outputs": ["path"], "inputs": {"count": {"type": "integer", "value": 1}}, "size": "6"}, """
use ndg_util::{NodeResult, Writer};

/// Declares 6 words but writes `count` words: a size rule that under-counts.
pub fn execute(count: i32, out: &mut Writer) -> NodeResult {
    for _ in 0..count {
        out.push(7)?;
    }
    Ok(())
}
"""),
    "hog": ({"outputs": ["float"], "inputs": {"megabytes": {"type": "integer", "value": 1}}}, """
pub fn execute(megabytes: i32) -> f32 {
    let buffer = vec![1u8; megabytes as usize * 1024 * 1024];
    buffer.iter().map(|&b| b as f32).sum()
}
"""),
}


@pytest.fixture(scope="module")
def failing_nodes(tmp_path_factory):
    return write_nodes(tmp_path_factory.mktemp("nodes"), NODES)


@pytest.mark.parametrize("stepped", [False, True])
def test_panic_is_reported_with_node_line_and_message(failing_nodes, stepped):
    runner = load("ok = panicky(value: 0.5)\n\nbad = panicky(value: 3)\noutput(input: box())\n",
                  name="plant.ndg", node_paths=[failing_nodes])
    with pytest.raises(RunError) as error:
        runner.run(stepped=stepped)
    assert "node `bad` (plant.ndg:3) panicked" in error.value.message
    assert "value 3 is too large" in error.value.message


def test_runner_stays_usable_after_a_trap(failing_nodes):
    runner = load("bad = panicky(value: 3)\nok = panicky(value: 0.25)\noutput(input: box())\n",
                  node_paths=[failing_nodes])
    for _ in range(3):
        with pytest.raises(RunError):
            runner.run()
    assert runner.node_value("ok").tolist() == []  # never reached: `bad` stops the run first


def test_slot_overrun_is_stopped_before_it_writes_past_the_slot(failing_nodes):
    runner = load("g = greedy(count: 9)\nnext = panicky(value: 0)\noutput(input: box())\n", node_paths=[failing_nodes])
    slot = runner.plan.values[runner.plan.steps[0].output]
    neighbour = runner.plan.values[runner.plan.steps[1].output]
    with pytest.raises(RunError) as error:
        runner.run()
    assert "node `g` (test.ndg:1) needs more than its 6-word output slot" in error.value.message
    assert error.value.hint == ("the node `test/extra/greedy` is at fault: its size rule (`size` in its definition.json) "
                                "under-counts what its code writes for these inputs; fix the rule or the code")
    assert runner.node_value("g").tolist() == []  # a failed step leaves no value that looks complete
    written = runner.memory.read(runner.store, slot.offset, neighbour.offset + 4)
    assert bytes(written[:24]) == bytes([7, 0, 0, 0] * 6)
    guard = next(r for r in runner.plan.regions if r.kind == "guard")
    start, end = guard.offset - slot.offset, guard.end - slot.offset
    assert bytes(written[24:start]) == bytes(start - 24)  # padding untouched
    assert bytes(written[start:end]) == struct.pack("<I", GUARD_WORD) * 4  # the guard intact
    assert bytes(written[end:]) == bytes(len(written) - end)  # and the neighbour


def test_scratch_heap_exhaustion_is_named(failing_nodes):
    runner = load("h = hog(megabytes: 8)\noutput(input: box())\n", node_paths=[failing_nodes])
    with pytest.raises(RunError) as error:
        runner.run()
    assert "node `h` (test.ndg:1) ran out of its 256 KiB scratch heap" in error.value.message
    small = load("h = hog(megabytes: 0)\noutput(input: box())\n", node_paths=[failing_nodes])
    small.run()
    assert small.node_value("h").tolist() == [f32_bits(0.0)]
