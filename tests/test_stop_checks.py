"""The stop-check rewriter (ndg.runtime.stop_checks) on generated modules: functions of nested loops,
blocks, branches (br_if, br_table), direct and indirect calls, memory, SIMD and 0xFC instructions.
The rewritten module validates, computes the same result and the same memory as the module it came
from while the stop word is 0, and traps at its first loop head once the word is set."""

import ctypes

import pytest
import wasmtime
from hypothesis import given, settings
from hypothesis import strategies as st

from ndg.runtime.sandbox import StopSwitch, untrusted_code, untrusted_engine, untrusted_store
from ndg.runtime.stop_checks import STOP_IMPORT

MEMORY_PAGES = 1
# Addresses the generated code reads and writes: masked into the first half of the page, 16-byte
# aligned, so that every access (at most 32 bytes past one) stays inside.
ADDRESS_MASK = 0x7FF0


def _address(expression: str) -> str:
    return f"(i32.and {expression} (i32.const {ADDRESS_MASK}))"


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
    "fill": "(memory.fill {address} (local.get $acc) (i32.const 8))",
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
            parts.append(STATEMENTS[kind].format(value=value, address=_address(value)))
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
      (func $leaf (export "leaf") (param $x i32) (result i32) (i32.add (local.get $x) (i32.const 7)))
      (func $twice (export "twice") (param $x i32) (result i32) (i32.mul (call $leaf (local.get $x)) (i32.const 2)))
      (func (export "run") (param $x i32) (result i32) (local $acc i32) (local $c0 i32) (local $c1 i32) (local $c2 i32) (local $c3 i32)
        (local.set $c3 (i32.const 2))
        (loop $outer {draw(statements(2))}
          (br_if $outer (local.tee $c3 (i32.sub (local.get $c3) (i32.const 1)))))
        (local.get $acc)))"""


def _run(engine: wasmtime.Engine, module: bytes, argument: int, stop: int | None, function: str = "run") -> tuple[int, bytearray]:
    """`function(argument)` on a fresh store: its result and the memory after it. `stop` is the
    stop word for a module with stop checks (None: a module without)."""
    store = untrusted_store(engine, MEMORY_PAGES * 65536, 1, 1 if stop is None else 2)
    memory = wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(MEMORY_PAGES, MEMORY_PAGES)))
    provided = {("env", "memory"): memory}
    if stop is not None:
        switch = StopSwitch(store)
        ctypes.c_int32.from_address(ctypes.addressof(switch.memory.data_ptr(store).contents)).value = stop
        provided[STOP_IMPORT] = switch.memory
    compiled = wasmtime.Module(engine, module)
    instance = wasmtime.Instance(store, compiled, [provided[(i.module, i.name)] for i in compiled.imports])
    if stop is None:
        store.set_fuel(10**9)
    result = instance.exports(store)[function](store, argument)
    return result, memory.read(store, 0, MEMORY_PAGES * 65536)


@settings(max_examples=60, deadline=None)
@given(modules(), st.integers(-(2**31), 2**31 - 1))
def test_rewritten_modules_validate_compute_the_same_and_stop_when_told(text, argument):
    module = wasmtime.wat2wasm(text)
    rewritten = untrusted_code("deadline", module)  # validates the module as it came, then rewrites it
    assert _run(untrusted_engine("deadline"), rewritten, argument, stop=0) == \
        _run(untrusted_engine("fuel"), module, argument, stop=None)
    for function in ("run", "twice"):
        with pytest.raises(wasmtime.Trap) as trap:
            _run(untrusted_engine("deadline"), rewritten, argument, stop=1, function=function)
        assert trap.value.trap_code == wasmtime.TrapCode.UNREACHABLE
    assert _run(untrusted_engine("deadline"), rewritten, argument, stop=1, function="leaf")[0] == \
        (argument + 7 + 2**31) % 2**32 - 2**31
