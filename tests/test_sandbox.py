"""The engine and store for untrusted code: a plan's module cannot take more than the plan promises."""

import ctypes
import dataclasses
import json
import math
import resource
import subprocess
import sys
import time

import pytest
import wasmtime
from conftest import EXAMPLES
from wasm_builders import custom_section

from ndg.compiler.driver import compile_text, read_source
from ndg.errors import UserError
from ndg.runtime import sandbox
from ndg.runtime.abi import MAX_PAGES
from ndg.runtime.engine import Runner
from ndg.runtime.plan import Module, module_digest, save_plan
from ndg.runtime.read_only import OS_PAGE, ReadOnlyPages
from ndg.runtime.sandbox import MAX_TABLE_ELEMENTS, StopSwitch, untrusted_engine
from ndg.runtime.validate import PlanInvalid, validate_plan
from ndg.runtime.wasm_sections import with_stack_pointer

pytestmark = pytest.mark.toolchain


@pytest.fixture(scope="module")
def basics():
    compiled = compile_text(read_source(EXAMPLES / "basics.ndg"), "basics.ndg")
    return compiled.plan


def hostile(plan, body: str, run: str = "i32.const 0", imports: str = "") -> tuple:
    """The plan with its module swapped for one built from `body` (module fields) whose ndg_run
    does `run`; the digest recorded as the plan's, as a crafted plan would."""
    heap_base = plan.region("static").offset
    text = f"""(module
      (import "env" "memory" (memory 1))
      {imports}
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
    for bound in ({}, {"budget": 10**6}):  # both rewrite the module: its memory would have no read-only pages
        with pytest.raises(UserError, match=r"defines a memory of its own instead of importing env\.memory"):
            Runner(crafted, own, **bound)


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


def test_recursion_without_a_loop_is_stopped_by_the_timeout(basics):
    # 2^60 calls and no loop: only the stop check at the entry of a function that calls stops it.
    twice = """(func $twice (param i32) (if (local.get 0) (then
                 (call $twice (i32.sub (local.get 0) (i32.const 1)))
                 (call $twice (i32.sub (local.get 0) (i32.const 1))))))"""
    with Runner(*hostile(basics, twice, "(call $twice (i32.const 60)) i32.const 0"), timeout=0.05) as runner, \
            pytest.raises(UserError, match=r"0\.05-second timeout passed"):
        runner.run()


# Instructions with every kind of immediate the stop checks must step over, in a loop: the run
# writes the same words with stop checks (the default) as without (fuel).
EVERY_IMMEDIATE = """
(func $work (param i32) (local i64 f64 v128)
  (loop $again
    (local.set 3 (i8x16.shuffle 0 17 2 19 4 21 6 23 8 25 10 27 12 29 14 31
      (v128.const i32x4 1 2 3 4) (v128.load offset=16 align=4 (local.get 0))))
    (local.set 3 (i32x4.replace_lane 2 (local.get 3) (i32x4.extract_lane 1 (local.get 3))))
    (local.set 3 (v128.load32_lane 3 (local.get 0) (local.get 3)))
    (v128.store offset=32 (local.get 0) (local.get 3))
    (local.set 1 (i64.add (local.get 1) (i64.const -1234567890123)))
    (local.set 2 (f64.add (local.get 2) (f64.const 0.5)))
    (i64.store offset=64 (local.get 0) (local.get 1))
    (f64.store offset=72 (local.get 0) (local.get 2))
    (f32.store offset=80 (local.get 0) (f32.const 1.5))
    (memory.fill (i32.add (local.get 0) (i32.const 96)) (i32.const 7) (i32.const 8))
    (block $out (block $two (block $one
      (br_table $one $two $out (i32.and (i32.wrap_i64 (local.get 1)) (i32.const 3))))
      (i32.store offset=84 (local.get 0) (i32.const 1)))
      (i32.store offset=88 (local.get 0) (select (result i32) (i32.const 2) (i32.const 3) (local.get 0))))
    (br_if $again (f64.lt (local.get 2) (f64.const 10)))))
"""


def test_stop_checks_leave_every_instruction_as_it_was(basics):
    at = 2 * OS_PAGE + 1024  # above the read-only lowest page
    words = []
    for bound in ({}, {"budget": 10**8}):
        with Runner(*hostile(basics, EVERY_IMMEDIATE, f"(call $work (i32.const {at})) i32.const 0"), **bound) as runner:
            runner.run()
            words.append(runner.memory.read(runner.store, at, at + 104))
    assert words[0] == words[1]
    assert words[0][64:72] == (-1234567890123 * 20 % 2**64).to_bytes(8, "little")
    assert words[0][96:104] == b"\x07" * 8


def test_proposals_the_stop_checks_do_not_read_are_refused(basics):
    with pytest.raises(UserError, match="does not load"):  # exception handling
        Runner(*hostile(basics, "(tag $oops) (func $raise (throw $oops))"))


def test_the_lowest_page_holds_nothing_but_stack(basics):
    static = basics.region("static")
    small = dataclasses.replace(basics, regions=tuple(dataclasses.replace(r, size=OS_PAGE) if r is static else r
                                                       for r in basics.regions))
    with pytest.raises(PlanInvalid, match=rf"static region must span at least two memory pages \({2 * OS_PAGE} bytes\)"):
        validate_plan(small)
    compiled = compile_text(read_source(EXAMPLES / "basics.ndg"), "basics.ndg")
    module = with_stack_pointer(compiled.module.wasm, OS_PAGE // 2)
    moved = dataclasses.replace(basics, module=Module(module_digest(module), len(module)))
    with pytest.raises(PlanInvalid, match=rf"its stack pointer \({OS_PAGE // 2}\) is not at the bottom of the memory, "
                                          rf"below its data and above the lowest page.*larger than {OS_PAGE} bytes"):
        Runner(moved, module)


def test_a_short_deadline_wakes_the_clock_asleep_until_a_long_one(basics):
    # The clock sleeps until the earliest deadline: a run armed after another with a 1,000-second
    # deadline, but due sooner, must wake it, or the spin below runs on for the whole sleep.
    with Runner(*hostile(basics, ""), timeout=1000) as patient:
        patient.run()
        with Runner(*hostile(basics, "", "(loop br 0) i32.const 0"), timeout=0.05) as spinning:
            started = time.monotonic()
            with pytest.raises(UserError, match=r"0\.05-second timeout passed"):
                spinning.run()
            assert time.monotonic() - started < 5


def test_a_stop_word_cleared_in_the_clocks_moment_is_set_again():
    # While the clock writes the stop word, page 0 is writable for a moment: a node that clears the
    # word then is stopped again a little later (`STOP_RECHECK`), and once the word holds, the
    # clock lets the switch be until it is armed again.
    store = wasmtime.Store(untrusted_engine("deadline"))
    memory = wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(2, 2)))
    pages = ReadOnlyPages(ctypes.addressof(memory.data_ptr(store).contents), [])
    switch = StopSwitch(store, pages)
    switch.arm(0.01)
    assert _wait_for(lambda: switch.stopped)
    with sandbox._clock.lock:
        pages.set_stop_word(0)
    assert _wait_for(lambda: switch.stopped)
    assert _wait_for(lambda: switch._deadline == math.inf)
    switch.arm(1000)
    assert not switch.stopped


def _wait_for(condition, seconds: float = 5.0) -> bool:
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            return False
        time.sleep(0.001)
    return True
