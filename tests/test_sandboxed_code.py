"""The rewriter (ndg.runtime.sandboxed_code) on generated modules: functions of nested loops, blocks,
branches (br_if, br_table), direct and indirect calls, memory, SIMD and 0xFC instructions, bulk
memory (memory.fill, memory.copy, memory.init) among them. The rewritten module validates, computes
the same result and the same memory as the module it came from while the stop word is 0, traps at
its first loop head once the word is set, and traps, instead of killing the process, where it
would write into a read-only page."""

import ctypes
import subprocess
import sys
from pathlib import Path

import pytest
import wasmtime
from hypothesis import given, settings
from hypothesis import strategies as st

from ndg.runtime.read_only import OS_PAGE, ReadOnlyPages
from ndg.runtime.sandbox import untrusted_code, untrusted_engine, untrusted_store

# Addresses the generated code reads and writes: masked to 16-byte aligned offsets below
# ADDRESS_MASK, above the read-only lowest page, so that every access (at most 64 bytes past one)
# stays inside the memory.
ADDRESS_MASK = 0x7FF0
MEMORY_PAGES = (OS_PAGE + ADDRESS_MASK + 64) // 65536 + 1
# A page in the middle of what the code writes, read-only in `protected_writes_trap`.
PROTECTED = (OS_PAGE + ADDRESS_MASK // 2 // OS_PAGE * OS_PAGE, 2 * OS_PAGE + ADDRESS_MASK // 2 // OS_PAGE * OS_PAGE)


def _address(expression: str) -> str:
    return f"(i32.add (i32.and {expression} (i32.const {ADDRESS_MASK})) (i32.const {OS_PAGE}))"


@st.composite
def expressions(draw, depth: int = 2) -> str:
    """An i32 expression of the run function's locals (`$x` the argument, `$acc` the result)."""
    leaf = st.one_of(st.sampled_from(["(local.get $x)", "(local.get $acc)"]),
                     st.integers(-(2**31), 2**31 - 1).map(lambda n: f"(i32.const {n})"))
    if depth == 0:
        return draw(leaf)
    inner = expressions(depth - 1)
    kind = draw(st.sampled_from(["leaf", "binary", "select", "i64", "float", "simd", "load"]))
    if kind == "binary":
        operation = draw(st.sampled_from(["add", "sub", "mul", "xor", "rotl", "shr_u", "and", "or"]))
        return f"(i32.{operation} {draw(inner)} {draw(inner)})"
    if kind == "select":
        return f"(select (result i32) {draw(inner)} {draw(inner)} {draw(inner)})"
    if kind == "i64":
        return f"(i32.wrap_i64 (i64.mul (i64.extend_i32_u {draw(inner)}) (i64.const {draw(st.integers(-(2**63), 2**63 - 1))})))"
    if kind == "float":  # a saturating truncation: an 0xFC instruction
        return f"(i32.trunc_sat_f64_s (f64.mul (f64.convert_i32_s {draw(inner)}) (f64.const 0.75)))"
    if kind == "simd":  # every kind of SIMD immediate: 16 constant bytes, shuffle lanes, lane indices, memargs
        lanes = " ".join(str(draw(st.integers(-(2**31), 2**31 - 1))) for _ in range(4))
        vector = f"(i32x4.add (i32x4.splat {draw(inner)}) (v128.const i32x4 {lanes}))"
        shuffle = " ".join(str(draw(st.integers(0, 31))) for _ in range(16))
        vector = draw(st.sampled_from([
            vector,
            f"(i8x16.shuffle {shuffle} {vector} (v128.load offset=16 {_address(draw(inner))}))",
            f"(i32x4.replace_lane {draw(st.integers(0, 3))} {vector} {draw(inner)})",
            f"(v128.load32_lane {draw(st.integers(0, 3))} {_address(draw(inner))} {vector})",
            f"(v128.load8_lane {draw(st.integers(0, 15))} {_address(draw(inner))} {vector})",
            f"(v128.load8_splat offset=3 {_address(draw(inner))})",
        ]))
        return draw(st.sampled_from([
            f"(i32x4.extract_lane {draw(st.integers(0, 3))} {vector})",
            f"(i8x16.extract_lane_s {draw(st.integers(0, 15))} {vector})",
            f"(i16x8.extract_lane_u {draw(st.integers(0, 7))} {vector})",
            f"(i32.trunc_sat_f32_u (f32x4.extract_lane {draw(st.integers(0, 3))} {vector}))",
            f"(i32x4.all_true {vector})",
        ]))
    if kind == "load":
        return f"(i32.load offset=4 {_address(draw(inner))})"
    return draw(leaf)


# Statements without a body, by kind: `value` an expression, `address` one masked into the memory.
STATEMENTS = {
    "set": "(local.set $acc {value})",
    "store": "(v128.store offset=16 {address} (i32x4.splat (local.get $acc)))",
    "call": "(local.set $acc (call $leaf {value}))",
    "call_indirect": "(local.set $acc (call_indirect (type $unary) {value} (i32.and (local.get $acc) (i32.const 1))))",
    "fill": "(memory.fill {address} (local.get $acc) (i32.and (local.get $acc) (i32.const 63)))",
    "copy": "(memory.copy {address} {source} (i32.and (local.get $x) (i32.const 63)))",
    "init": "(memory.init $bytes {address} (i32.and (local.get $acc) (i32.const 3)) (i32.const 4))",
}


@st.composite
def statements(draw, depth: int) -> str:
    """Statements that change `$acc` or the memory; a loop runs a few times, counted by the local
    of its nesting depth (`$c0` to `$c2`; `$c3` counts the outermost loop's turns)."""
    kinds = [*STATEMENTS, "if", "br_table"] + (["loop", "block"] if depth else [])
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(kinds))
        value = draw(expressions())
        if kind in STATEMENTS:
            parts.append(STATEMENTS[kind].format(value=value, address=_address(value), source=_address(draw(expressions()))))
        elif kind == "if":
            parts.append(f"(if {value} (then {draw(statements(0))}) (else {draw(statements(0))}))")
        elif kind == "br_table":
            parts.append(f"(block $b (block $a (br_table $a $b $a (i32.and {value} (i32.const 3)))) {draw(statements(0))})")
        elif kind == "loop":
            counter = f"$c{depth}"
            times = draw(st.integers(1, 4))
            parts.append(f"""(local.set {counter} (i32.const {times}))
                (loop $l{depth} {draw(statements(depth - 1))}
                  (br_if $l{depth} (local.tee {counter} (i32.sub (local.get {counter}) (i32.const 1)))))""")
        else:
            parts.append(f"(block {draw(statements(depth - 1))} (br_if 0 {value}) {draw(statements(depth - 1))})")
    return "\n".join(parts)


@st.composite
def modules(draw) -> str:
    """A module whose exported `run` starts with a loop (so a set stop word stops it at once), and
    two small functions: `twice` calls (so it has a check), `leaf` neither calls nor loops (none)."""
    return f"""(module
      (import "env" "memory" (memory {MEMORY_PAGES} {MEMORY_PAGES}))
      (type $unary (func (param i32) (result i32)))
      (table 2 funcref)
      (elem (i32.const 0) $leaf $twice)
      (data $bytes "\\01\\02\\03\\04\\05\\06\\07")
      (func $leaf (export "leaf") (param $x i32) (result i32) (i32.add (local.get $x) (i32.const 7)))
      (func $twice (export "twice") (param $x i32) (result i32) (i32.mul (call $leaf (local.get $x)) (i32.const 2)))
      (func (export "run") (param $x i32) (result i32) (local $acc i32) (local $c0 i32) (local $c1 i32) (local $c2 i32) (local $c3 i32)
        (local.set $c3 (i32.const 2))
        (loop $outer {draw(statements(2))}
          (br_if $outer (local.tee $c3 (i32.sub (local.get $c3) (i32.const 1)))))
        (local.get $acc)))"""


def _run(metering: str, module: bytes, argument: int, function: str = "run", stop: int = 0,
         protected: tuple[tuple[int, int], ...] = (), as_it_came: bool = False) -> tuple[int, bytearray]:
    """`function(argument)` on a fresh store under `metering`: its result and the memory above the
    lowest page after it. The code is the module rewritten, with the stop word `stop`, the lowest
    page and the `protected` spans read-only; or `as_it_came`, in a memory with none."""
    store = untrusted_store(untrusted_engine(metering), MEMORY_PAGES * 65536, 1)
    memory = wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(MEMORY_PAGES, MEMORY_PAGES)))
    compiled = wasmtime.Module(untrusted_engine(metering), module if as_it_came else untrusted_code(metering, module))
    instance = wasmtime.Instance(store, compiled, [memory])
    if metering == "fuel":
        store.set_fuel(10**9)
    if not as_it_came:
        pages = ReadOnlyPages(ctypes.addressof(memory.data_ptr(store).contents), protected)
        if stop:
            pages.set_stop_word(stop)
    result = instance.exports(store)[function](store, argument)
    return result, memory.read(store, OS_PAGE, MEMORY_PAGES * 65536)


@settings(max_examples=60, deadline=None)
@given(modules(), st.integers(-(2**31), 2**31 - 1))
def test_rewritten_modules_validate_compute_the_same_and_stop_when_told(text, argument):
    module = wasmtime.wat2wasm(text)
    expected = _run("fuel", module, argument, as_it_came=True)
    assert _run("deadline", module, argument) == expected
    assert _run("fuel", module, argument) == expected  # the bulk-memory guards alone
    for function in ("run", "twice"):
        with pytest.raises(wasmtime.Trap) as trap:
            _run("deadline", module, argument, function, stop=1)
        assert trap.value.trap_code == wasmtime.TrapCode.UNREACHABLE
    assert _run("deadline", module, argument, "leaf", stop=1)[0] == (argument + 7 + 2**31) % 2**32 - 2**31


@settings(max_examples=60, deadline=None, database=None)
@given(modules(), st.integers(-(2**31), 2**31 - 1))
def protected_writes_trap(text, argument):
    """Under either metering, with a page amid what the code writes read-only: the run computes
    what the module as it came computes, or traps at a store into that page; the process lives.
    Run in a process of its own (`test_writes_into_read_only_pages_trap_instead_of_crashing`)."""
    module = wasmtime.wat2wasm(text)
    expected = _run("fuel", module, argument, as_it_came=True)
    for metering in ("deadline", "fuel"):
        try:
            assert _run(metering, module, argument, protected=(PROTECTED,)) == expected
        except wasmtime.Trap as trap:
            address = int(trap.message.split("memory fault at wasm address ")[1].split()[0], 16)
            assert PROTECTED[0] <= address < PROTECTED[1], trap.message


def test_writes_into_read_only_pages_trap_instead_of_crashing():
    ran = subprocess.run([sys.executable, "-c", "import test_sandboxed_code; test_sandboxed_code.protected_writes_trap()"],
                         cwd=Path(__file__).parent, capture_output=True, text=True)
    assert ran.returncode == 0, f"the process ended with {ran.returncode}: {ran.stderr[-3000:]}"
