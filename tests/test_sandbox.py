"""The engine and store for untrusted code: a plan's module cannot take more than the plan promises."""

import dataclasses
import json
import resource
import subprocess
import sys

import pytest
import wasmtime
from conftest import EXAMPLES
from wasm_builders import custom_section

from ndg.compiler.driver import compile_text, read_source
from ndg.errors import UserError
from ndg.runtime.abi import MAX_PAGES
from ndg.runtime.engine import Runner
from ndg.runtime.plan import Module, module_digest, save_plan
from ndg.runtime.sandbox import MAX_TABLE_ELEMENTS

pytestmark = pytest.mark.toolchain


@pytest.fixture(scope="module")
def basics():
    compiled = compile_text(read_source(EXAMPLES / "basics.ndg"), "basics.ndg")
    return compiled.plan


def hostile(plan, body: str, run: str = "i32.const 0") -> tuple:
    """The plan with its module swapped for one built from `body` (module fields) whose ndg_run
    does `run`; the digest recorded as the plan's, as a crafted plan would."""
    heap_base = plan.region("static").offset
    text = f"""(module
      (import "env" "memory" (memory 1))
      (global (export "__heap_base") i32 (i32.const {heap_base}))
      {body}
      (func (export "ndg_run") (param i32 i32 i32) (result i32) {run}))"""
    module = wasmtime.wat2wasm(text) + custom_section("ndg_kinds", json.dumps(list(plan.kinds)).encode())
    return dataclasses.replace(plan, module=Module(module_digest(module), len(module))), module


def test_a_module_cannot_grow_a_table_past_the_cap(basics):
    grow = f"""(if (i32.eq (table.grow (ref.null func) (i32.const {MAX_TABLE_ELEMENTS * 1000})) (i32.const -1))
                   (then unreachable)) i32.const 0"""
    with Runner(*hostile(basics, "(table 1 funcref)", grow)) as runner, pytest.raises(UserError, match="trapped"):
        runner.run()


def test_a_module_cannot_declare_a_huge_table(basics):
    with pytest.raises(UserError, match="tables"):
        Runner(*hostile(basics, f"(table {MAX_TABLE_ELEMENTS * 100} funcref)"))


def test_a_module_cannot_add_memories(basics):
    with pytest.raises(UserError, match=r"does not load"):
        Runner(*hostile(basics, "(memory 16384) (memory 16384) (memory 16384) (memory 16384)"))


def test_a_module_cannot_bring_its_own_memory_instead_of_the_hosts(basics):
    plan = basics
    own = wasmtime.wat2wasm(f"""(module (memory 16384)
        (global (export "__heap_base") i32 (i32.const {basics.region("static").offset}))
        (func (export "ndg_run") (param i32 i32 i32) (result i32) i32.const 0))""")
    own += custom_section("ndg_kinds", json.dumps(list(plan.kinds)).encode())
    crafted = dataclasses.replace(plan, module=Module(module_digest(own), len(own)))
    with pytest.raises(UserError, match=r"defines a memory of its own instead of importing env\.memory"):
        Runner(crafted, own)
    with pytest.raises(UserError, match="does not fit the plan's memory"):  # fuel: the module runs unchanged
        Runner(crafted, own, budget=10**6)


def test_start_code_out_of_fuel_or_time_is_reported_as_such(basics):
    spin = "(func $spin (loop br 0)) (start $spin)"
    with pytest.raises(UserError, match=r"start code past the 100,000,000 fuel units"):
        Runner(*hostile(basics, spin), budget=10**6)
    with pytest.raises(UserError, match=r"start code past the 0\.05-second timeout"):
        Runner(*hostile(basics, spin), timeout=0.05)


def test_deep_recursion_traps_instead_of_crashing(basics):
    recurse = "(func $down (param i32) (result i32) (call $down (i32.add (local.get 0) (i32.const 1))))"
    runner = Runner(*hostile(basics, recurse, "(drop (call $down (i32.const 0))) i32.const 0"))
    with runner, pytest.raises(UserError, match="trapped"):
        runner.run()


LIMITED_RUN = """
import resource, sys
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[1]), int(sys.argv[1])))
from ndg.cli import main
main(["run", sys.argv[2], "-q"])
"""


@pytest.mark.parametrize("limit_gib", [2.5, 1.5])
def test_a_limited_address_space_still_runs(tmp_path, limit_gib):
    plan = tmp_path / "basics.ndp"
    from ndg.cli import main
    with pytest.raises(SystemExit) as done:
        main(["compile", str(EXAMPLES / "basics.ndg"), "-o", str(plan)])
    assert done.value.code == 0
    ran = subprocess.run([sys.executable, "-c", LIMITED_RUN, str(int(limit_gib * 2**30)), str(plan)],
                         capture_output=True, text=True)
    assert ran.returncode == 0, ran.stderr


def test_an_address_space_too_small_for_the_plan_is_a_user_error(tmp_path, basics):
    compiled = compile_text(read_source(EXAMPLES / "basics.ndg"), "basics.ndg")
    plan = tmp_path / "big.ndp"
    save_plan(plan, dataclasses.replace(compiled.plan, memory_pages=MAX_PAGES), compiled.module.wasm)
    assert resource.getrlimit(resource.RLIMIT_AS)[0] == resource.RLIM_INFINITY
    ran = subprocess.run([sys.executable, "-c", LIMITED_RUN, str(1 << 30), str(plan)], capture_output=True, text=True)
    assert ran.returncode == 2, ran.stderr
    assert "does not fit the process's address-space limit of 1,073,741,824 bytes" in ran.stderr
    assert "ulimit -v" in ran.stderr
