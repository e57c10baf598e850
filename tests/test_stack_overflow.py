"""A node that needs more stack than the modules have traps, in one module as in per-node modules:
every module's stack is the plan's static region at address 0, growing down to it, with no data
below it, so an overflow reaches the memory's lowest page, read-only while the plan runs (or below
address 0, out of bounds), instead of other memory."""

import dataclasses

import pytest
from conftest import write_nodes

from ndg.compiler.codegen import STACK_BYTES
from ndg.compiler.driver import compile_text
from ndg.runtime.engine import RunError, Runner
from ndg.runtime.plan import module_digest, split_modules
from ndg.runtime.validate import PlanInvalid
from ndg.runtime.wasm_sections import data_segments, mutable_i32_globals, with_stack_pointer

pytestmark = pytest.mark.toolchain

FRAME_BYTES = 4096
NODES = {
    # Recurses `depth` levels of a FRAME_BYTES frame each (volatile accesses keep every frame).
    "deep": ({"outputs": ["integer"], "inputs": {"depth": {"type": "integer", "value": 0}}}, """
fn down(depth: i32) -> i32 {
    let mut frame = [0u8; 4096];
    unsafe { core::ptr::write_volatile(&mut frame[(depth as usize) % 4096], depth as u8) };
    let below = if depth > 0 { down(depth - 1) } else { 0 };
    below + unsafe { core::ptr::read_volatile(&frame[(depth as usize * 7) % 4096]) } as i32
}

pub fn execute(depth: i32) -> i32 {
    down(depth)
}
"""),
}
MODES = ["single", "per-node"]


@pytest.fixture(scope="module")
def deep_nodes(tmp_path_factory):
    return write_nodes(tmp_path_factory.mktemp("nodes"), NODES)


def _graph(depth: int) -> str:
    return f"f = float(value: 2)\nd = deep(depth: {depth})\noutput(input: box(size: f))\n"


@pytest.fixture(scope="module", params=MODES)
def compiled(request, deep_nodes):
    """A compile per mode: the depth is a constant, so each depth compiles its own plan; both
    depths' plans have the same layout, so the depth is changed in the plan's constants."""
    return {depth: compile_text(_graph(depth), "g.ndg", (deep_nodes,), modules=request.param)
            for depth in (STACK_BYTES // 2 // FRAME_BYTES, 400 * 1024 // FRAME_BYTES)}


def test_recursion_within_the_stack_runs(compiled):
    shallow = min(compiled)
    with Runner(compiled[shallow].plan, compiled[shallow].module.wasm) as runner:
        runner.run(check=True)
        step = next(s for s in runner.plan.steps if s.node == "d")
        assert runner.value(step.output).tolist() == [0]  # every frame's byte read back is 0 but the written one


def test_recursion_past_the_stack_traps_and_names_the_node(compiled):
    deep = max(compiled)
    with Runner(compiled[deep].plan, compiled[deep].module.wasm) as runner:
        for stepped in (False, True, False):  # one call per run or per node; the runner stays usable
            with pytest.raises(RunError, match=r"node `d` \(g\.ndg:2\) ran out of its 256 KiB stack \(it wrote at address "
                                               r"\d+, on the stack's lowest page, which is read-only\)"):
                runner.run(stepped=stepped)


def test_every_module_has_its_stack_at_the_bottom_of_the_static_region(compiled):
    plan = next(iter(compiled.values())).plan
    static = plan.region("static")
    assert static.offset == 0
    modules = split_modules(plan, next(iter(compiled.values())).module.wasm)[1] if plan.modules else (
        next(iter(compiled.values())).module.wasm,)
    for module in modules:
        (stack_pointer,) = mutable_i32_globals(module)
        assert stack_pointer <= static.end
        assert all(address >= stack_pointer for address, _ in data_segments(module))
    if plan.modules:
        assert static.size == STACK_BYTES  # the node modules' one shared stack


def test_a_single_module_whose_stack_is_not_below_its_data_is_refused(compiled):
    plan = next(iter(compiled.values())).plan
    if plan.modules:
        pytest.skip("per-node modules: tests/test_modules.py")
    module = with_stack_pointer(next(iter(compiled.values())).module.wasm, plan.region("static").end)
    moved = dataclasses.replace(plan, module=dataclasses.replace(plan.module, sha256=module_digest(module), size=len(module)))
    with pytest.raises(PlanInvalid, match=r"the module does not keep to the plan's static region: its stack pointer "
                                          r"\(\d+\) is not at the bottom of the memory"):
        Runner(moved, module)
