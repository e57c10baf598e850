"""Overruns in either direction are found: `--check` compares every finished slot after each step;
every run finds writes into the constants, parameters and step tables, at the write itself where
they fill whole memory pages (read-only while the plan runs), by comparing them after the run
elsewhere; a node whose stack runs out traps on the read-only lowest page. Whatever a node does,
the process survives it: those runs go on in a subprocess, so that a crash fails a test instead of
killing pytest."""

import json
import subprocess
import sys

import pytest
from conftest import f32_bits, write_nodes

from ndg.compiler.driver import compile_text
from ndg.runtime.engine import RunError, Runner
from ndg.runtime.plan import save_plan
from ndg.runtime.read_only import OS_PAGE

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
    # memory.fill and memory.copy (the module is built with bulk memory): wasmtime runs them in
    # host code, where a write into a read-only page would kill the process.
    "fill": ({"outputs": ["integer"], "inputs": {"address": {"type": "integer", "value": 0},
                                                 "count": {"type": "integer", "value": 0}}}, """
pub fn execute(address: i32, count: i32) -> i32 {
    if address != 0 {
        unsafe { core::ptr::write_bytes(address as usize as *mut u8, 0, count as usize) };
    }
    0
}
"""),
    "copy": ({"outputs": ["integer"], "inputs": {"address": {"type": "integer", "value": 0},
                                                 "from": {"type": "integer", "value": 0},
                                                 "count": {"type": "integer", "value": 0}}}, """
pub fn execute(address: i32, from: i32, count: i32) -> i32 {
    if address != 0 {
        unsafe { core::ptr::copy(from as usize as *const u8, address as usize as *mut u8, count as usize) };
    }
    0
}
"""),
    # Each call keeps 1 KiB on the stack and writes all of it.
    "recurse": ({"outputs": ["integer"], "inputs": {"depth": {"type": "integer", "value": 0}}}, """
fn down(depth: i32) -> i32 {
    let mut frame = [0u8; 1024];
    for byte in frame.iter_mut() {
        unsafe { core::ptr::write_volatile(byte, depth as u8) };
    }
    if depth <= 0 {
        return 0;
    }
    down(depth - 1) + unsafe { core::ptr::read_volatile(&frame[depth as usize % 1024]) } as i32
}

pub fn execute(depth: i32) -> i32 {
    down(depth)
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


# Misbehaving nodes after 300 steps, whose records fill whole pages; the parameters aim them.
MISBEHAVING = "\n".join([
    "param poke_at: integer = 0 in 0..2000000000", "param fill_at: integer = 0 in 0..2000000000",
    "param copy_to: integer = 0 in 0..2000000000", "param depth: integer = 0 in 0..1000000",
    "n0 = float(value: 1)", *(f"n{i} = math(op_type: 0, a: n{i - 1}, b: 1)" for i in range(1, 300)),
    "p = poke(address: poke_at, word: 7)", "f = fill(address: fill_at, count: 128)",
    "c = copy(address: copy_to, from: 65536, count: 64)", "r = recurse(depth: depth)",
    "output(input: box(size: n299))", ""])
MISBEHAVING_LINES = {node: 305 + index for index, node in enumerate("pfcr")}

# In a process of its own (its address space limited to `argv[4]` bytes if given: wasmtime then
# reserves no guard pages and checks bounds explicitly): the plan run with `param` at `value`
# (fused, stepped, under fuel), each failure's message, and whether the runner then runs the plan
# with `param` at 0 as a fresh one does.
RUN_MISBEHAVING = """
import json, resource, sys
if len(sys.argv) > 4:
    resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[4]), int(sys.argv[4])))
from ndg.runtime.engine import RunError, Runner
from ndg.runtime.plan import load_plan
plan, module = load_plan(sys.argv[1])
param, value = sys.argv[2], int(sys.argv[3])
expected = Runner(plan, module).run().tolist()
outcome = []
for bound, stepped in (({}, False), ({}, True), ({"budget": 10**9}, False)):
    runner = Runner(plan, module, **bound)
    runner.set_param(param, value)
    for _ in range(2):
        try:
            runner.run(stepped=stepped, full=True)
            outcome.append("ran")
        except RunError as error:
            outcome.append(error.message)
    runner.set_param(param, 0)
    outcome.append(runner.run().tolist() == expected)
print(json.dumps(outcome))
"""


@pytest.fixture(scope="module")
def misbehaving_plan(poke_nodes, tmp_path_factory):
    compiled = compile_text(MISBEHAVING, "g.ndg", (poke_nodes,))
    path = tmp_path_factory.mktemp("plans") / "g.ndp"
    save_plan(path, compiled.plan, compiled.module.wasm)
    return path, compiled.plan


def _run_misbehaving(path, param: str, value: int, address_space: int | None = None) -> list:
    limit = [] if address_space is None else [str(address_space)]
    ran = subprocess.run([sys.executable, "-c", RUN_MISBEHAVING, str(path), param, str(value), *limit],
                         capture_output=True, text=True)
    assert ran.returncode == 0, f"the process ended with {ran.returncode}: {ran.stderr[-2000:]}"
    outcome = json.loads(ran.stdout)
    assert outcome[2::3] == [True] * 3, "after the failures the runner runs the plan as a fresh one"
    return [message for index, message in enumerate(outcome) if index % 3 != 2]


def _first_record_page(plan) -> int:
    records = plan.region("records")
    page = -(-records.offset // OS_PAGE) * OS_PAGE
    assert page + OS_PAGE <= records.end, "the records fill a whole page"
    return page


@pytest.mark.parametrize("address_space", [None, 5 << 29], ids=["reserved", "tight"])
def test_a_store_into_the_step_records_traps_at_the_store_and_names_the_node(misbehaving_plan, address_space):
    path, plan = misbehaving_plan
    page = _first_record_page(plan)
    expected = f"node `p` (g.ndg:{MISBEHAVING_LINES['p']}) wrote outside its output slot (over the plan's records table at {page + 8})"
    assert _run_misbehaving(path, "poke_at", page + 8, address_space) == [expected] * 6


@pytest.mark.parametrize("address_space", [None, 5 << 29], ids=["reserved", "tight"])
def test_a_memory_fill_over_the_step_records_traps_where_it_reaches_them(misbehaving_plan, address_space):
    path, plan = misbehaving_plan
    page = _first_record_page(plan)
    expected = f"node `f` (g.ndg:{MISBEHAVING_LINES['f']}) wrote outside its output slot (over the plan's records table at {page})"
    assert _run_misbehaving(path, "fill_at", page - 64, address_space) == [expected] * 6


def test_a_memory_copy_onto_the_lowest_page_traps(misbehaving_plan):
    path, _ = misbehaving_plan
    expected = (f"node `c` (g.ndg:{MISBEHAVING_LINES['c']}) ran out of its 256 KiB stack (it wrote at address 16, "
                "on the stack's lowest page, which is read-only)")
    assert _run_misbehaving(path, "copy_to", 16) == [expected] * 6


def test_a_node_whose_stack_runs_out_is_named(misbehaving_plan):
    path, _ = misbehaving_plan
    messages = _run_misbehaving(path, "depth", 1_000_000)
    assert len(messages) == 6
    for message in messages:
        assert message.startswith(f"node `r` (g.ndg:{MISBEHAVING_LINES['r']}) ran out of its 256 KiB stack (it wrote at address ")
        assert int(message.split("address ")[1].split(",")[0]) < OS_PAGE
