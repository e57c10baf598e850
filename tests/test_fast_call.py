"""Calls into wasm through the runtime's one-array, unchecked entry point."""

import time

import pytest
import wasmtime

from ndg.runtime.fast_call import fast_call

MODULE = """
(module
  (import "host" "check" (func $check (param i32)))
  (func (export "step") (param $control i32) (param $index i32) (result i32)
    (if (i32.eq (local.get $index) (i32.const 13)) (then unreachable))
    (call $check (local.get $index))
    (i32.sub (i32.mul (local.get $control) (i32.const 1000)) (local.get $index)))
  (func (export "wide") (param i64) (result i32) (i32.const 0)))
"""


def _check(index):
    if index == 99:
        raise ValueError("the host refuses 99")
    if index == 50:
        time.sleep(0.02)


def exports():
    store = wasmtime.Store()
    check = wasmtime.Func(store, wasmtime.FuncType([wasmtime.ValType.i32()], []), _check)
    instance = wasmtime.Instance(store, wasmtime.Module(store.engine, MODULE), [check])
    return store, instance.exports(store)


def test_arguments_in_and_the_result_out():
    store, functions = exports()
    step = fast_call(store, functions["step"], 2)
    assert step(7, 3) == 6997
    assert step(-2, 5) == -2005
    assert step(0, 0) == 0


def test_a_trap_is_raised_and_the_next_call_works():
    store, functions = exports()
    step = fast_call(store, functions["step"], 2)
    for _ in range(3):
        with pytest.raises(wasmtime.Trap) as trap:
            step(1, 13)
        assert trap.value.trap_code == wasmtime.TrapCode.UNREACHABLE
        assert step(1, 2) == 998


def test_an_exception_in_a_host_function_reaches_the_caller():
    store, functions = exports()
    step = fast_call(store, functions["step"], 2)
    with pytest.raises(ValueError, match="refuses 99"):
        step(1, 99)
    assert step(1, 2) == 998


def test_a_function_of_another_signature_is_refused():
    store, functions = exports()
    with pytest.raises(TypeError, match="2 i32 parameters"):
        fast_call(store, functions["wide"], 2)
    with pytest.raises(TypeError, match="3 i32 parameters"):
        fast_call(store, functions["step"], 3)


DISPATCHER = """
(module
  (global $calls (mut i32) (i32.const 0))
  (func (export "run") (param $control i32) (param $first i32) (param $end i32) (result i32)
    (if (i32.ne (i32.add (local.get $first) (i32.const 1)) (local.get $end)) (then unreachable))
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (if (result i32) (i32.eq (local.get $first) (local.get $control)) (then (i32.const 3)) (else (i32.const 0))))
  (func (export "calls") (param i32) (result i32) (global.get $calls)))
"""


def test_each_step_calls_once_per_step_and_stops_at_the_first_failure():
    store = wasmtime.Store()
    functions = wasmtime.Instance(store, wasmtime.Module(store.engine, DISPATCHER), []).exports(store)
    run, calls = fast_call(store, functions["run"], 3), fast_call(store, functions["calls"], 1)
    assert run.each_step(-1, 5, 15) == 0  # the control argument names the step that fails: none
    assert calls(0) == 10
    assert run.each_step(7, 5, 15) == 3
    assert calls(0) == 13
    assert run.each_step(-1, 4, 4) == 0
    assert calls(0) == 13


def test_arguments_that_are_not_i32s_are_refused_before_the_call():
    store, functions = exports()
    step = fast_call(store, functions["step"], 2)
    with pytest.raises(TypeError, match="expected 2 positional arguments, got 3"):
        step(1, 2, 3)
    with pytest.raises(OverflowError, match="does not fit in an i32"):
        step(1, 2**32)
    with pytest.raises(TypeError):
        step(1, "2")
    assert step(1, 2**32 - 1) == 1001  # an unsigned 32-bit value is the same bits as its i32


def test_a_timed_call_returns_what_the_call_does_and_leaves_its_time():
    store, functions = exports()
    step = fast_call(store, functions["step"], 2)
    assert step.last_ns == 0
    assert step.timed(7, 3) == 6997
    first = step.last_ns
    assert 0 < first < 20_000_000
    assert step.timed(1, 50) == 950
    assert 20_000_000 <= step.last_ns < 2_000_000_000  # the host function inside it slept 20 ms
    first = step.last_ns
    with pytest.raises(wasmtime.Trap):
        step.timed(1, 13)
    assert step.last_ns == first  # a failed call leaves no time
    with pytest.raises(ValueError, match="refuses 99"):
        step.timed(1, 99)
