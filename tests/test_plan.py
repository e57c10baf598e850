"""Plan files: self-contained, versioned, written atomically; layouts aligned and disjoint."""

import dataclasses
import itertools
import os

import pytest
from click.testing import CliRunner
from conftest import EXAMPLES, scalar_chains
from hypothesis import given, settings
from hypothesis import strategies as st

from ndg.cli import main
from ndg.compiler.driver import compile_text, read_source
from ndg.errors import UserError
from ndg.runtime.abi import ALIGN, PAGE_BYTES
from ndg.runtime.engine import Runner
from ndg.runtime.plan import decode_plan, encode_plan, load_plan, save_plan
from ndg.runtime.validate import PlanInvalid, validate_plan


@pytest.fixture(scope="module")
def compiled():
    return compile_text(read_source(EXAMPLES / "basics.ndg"), "basics.ndg")


def assert_sound_layout(plan):
    regions = sorted(plan.regions, key=lambda r: r.offset)
    assert regions[0].kind == "static" and regions[0].offset == 0
    for region in regions:
        assert region.offset % ALIGN == 0
        assert region.end <= plan.memory_pages * PAGE_BYTES
    for before, after in itertools.pairwise(regions):
        assert before.end <= after.offset, (before, after)
    for value in plan.values:
        holders = [r for r in regions if r.offset <= value.offset and value.offset + 4 * value.capacity <= r.end]
        assert [r.kind for r in holders] in (["constants"], ["slot"])


@pytest.mark.toolchain
def test_example_layout_is_aligned_and_disjoint(compiled):
    assert_sound_layout(compiled.plan)
    static = compiled.plan.region("static")
    assert static.size == compiled.module.info.static_end


@pytest.mark.toolchain
def test_plan_file_round_trips_and_runs(tmp_path, compiled):
    path = tmp_path / "basics.ndp"
    save_plan(path, compiled.plan, compiled.module.wasm)
    plan, module = load_plan(path)
    assert plan == compiled.plan and module == compiled.module.wasm
    assert Runner(plan, module).run().tolist() == Runner(compiled.plan, compiled.module.wasm).run().tolist()


@pytest.mark.toolchain
def test_plan_can_refer_to_its_module_by_hash(tmp_path, compiled):
    (tmp_path / "lib.wasm").write_bytes(compiled.module.wasm)
    plan = dataclasses.replace(compiled.plan, module=dataclasses.replace(compiled.plan.module, path="lib.wasm"))
    save_plan(tmp_path / "p.ndp", plan, None)
    assert load_plan(tmp_path / "p.ndp")[1] == compiled.module.wasm
    (tmp_path / "lib.wasm").write_bytes(compiled.module.wasm + b"\0")
    with pytest.raises(UserError, match="does not match the SHA-256"):
        Runner(*load_plan(tmp_path / "p.ndp"))


@pytest.mark.toolchain
def test_cli_compile_then_run(tmp_path):
    plan = tmp_path / "basics.ndp"
    result = CliRunner().invoke(main, ["compile", str(EXAMPLES / "basics.ndg"), "-o", str(plan)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "result.bin"
    result = CliRunner().invoke(main, ["run", str(plan), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "1 geometry item (8 vertices, 12 faces) in 95 words" in result.output
    assert out.stat().st_size == 95 * 4
    stepped = CliRunner().invoke(main, ["run", str(plan), "--stepped", "-o", str(tmp_path / "stepped.bin")])
    assert stepped.exit_code == 0 and (tmp_path / "stepped.bin").read_bytes() == out.read_bytes()


@pytest.mark.toolchain
def test_failed_compile_leaves_an_existing_plan_untouched(tmp_path):
    good = tmp_path / "g.ndp"
    assert CliRunner().invoke(main, ["compile", str(EXAMPLES / "basics.ndg"), "-o", str(good)]).exit_code == 0
    before = good.read_bytes()
    bad = tmp_path / "bad.ndg"
    bad.write_text("output(input: box(size: true))")
    assert CliRunner().invoke(main, ["compile", str(bad), "-o", str(good)]).exit_code == 2
    assert good.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["bad.ndg", "g.ndp"]  # no temporary files left behind


@pytest.mark.toolchain
def test_validation_refuses_overlapping_regions(compiled):
    plan = compiled.plan
    slots = [r for r in plan.regions if r.kind == "slot"]
    moved = dataclasses.replace(slots[1], offset=slots[0].offset)
    broken = dataclasses.replace(plan, regions=tuple(moved if r == slots[1] else r for r in plan.regions))
    with pytest.raises(PlanInvalid, match="overlap"):
        validate_plan(broken)


@pytest.mark.toolchain
def test_validation_refuses_a_step_that_reads_a_later_value(compiled):
    plan = compiled.plan
    first = plan.steps[0]
    later = plan.steps[-1].output
    broken = dataclasses.replace(plan, steps=(dataclasses.replace(first, inputs=(later,)), *plan.steps[1:]))
    with pytest.raises(PlanInvalid, match="before it is written"):
        validate_plan(broken)


@pytest.mark.toolchain
@settings(max_examples=200, deadline=None)
@given(position=st.integers(min_value=0), flip=st.integers(min_value=0, max_value=7))
def test_damaged_plan_files_are_clean_errors_or_the_right_result(compiled, position, flip):
    data = bytearray(encode_plan(compiled.plan, compiled.module.wasm))
    data[position % len(data)] ^= 1 << flip
    with pytest.raises(UserError):
        Runner(*decode_plan(bytes(data)))


# Random chains of scalar nodes: every layout the planner makes is aligned and disjoint.
@pytest.mark.toolchain
@settings(max_examples=25, deadline=None)
@given(scalar_chains(30))
def test_generated_graphs_get_sound_layouts(text):
    compiled = compile_text(text, "gen.ndg")
    assert_sound_layout(compiled.plan)
    validate_plan(compiled.plan)


def test_unwritable_destinations_and_graphs_given_as_plans_are_user_errors(tmp_path):
    source = str(EXAMPLES / "basics.ndg")
    for target in (tmp_path / "missing" / "x.ndp", tmp_path):
        result = CliRunner().invoke(main, ["compile", source, "-o", str(target)])
        assert result.exit_code == 2 and f"cannot write {target}" in result.output, result.output
    assert os.listdir(tmp_path) == []
    result = CliRunner().invoke(main, ["plan", "show", source])
    assert result.exit_code == 2 and "is a graph, not a plan" in result.output and "ndg compile" in result.output
