"""Calls into the module through wasmtime's unchecked C entry point, with no per-call allocation.

wasmtime-py's `Func.__call__` asks the function for its type, converts and type-checks every
argument and builds fresh argument arrays on every call: about 45 µs here, which would dwarf a
plan's whole run and make stepped replay measure wasmtime-py instead of the nodes. The runtime's
calls all take i32 arguments and return one i32 status, so the signature is checked once, when
the call is bound, and every call then writes its arguments into the same array and makes one
C call (3–5 µs).

This uses wasmtime-py's ctypes bindings (`wasmtime._ffi`), which are not its public interface;
pyproject.toml pins the wasmtime version they were written against.
"""

from __future__ import annotations

import ctypes

import wasmtime
from wasmtime import _ffi as ffi
from wasmtime._func import maybe_raise_last_exn


class FastCall:
    """An exported `(i32 × arity) -> i32` function of one store, callable with Python ints."""

    def __init__(self, store: wasmtime.Store, function: wasmtime.Func, arity: int):
        kind = function.type(store)
        if [str(t) for t in kind.params] != ["i32"] * arity or [str(t) for t in kind.results] != ["i32"]:
            raise TypeError(f"expected a function of {arity} i32 parameters returning one i32, not {kind.params} -> {kind.results}")
        self._store = store  # keeps the store, and so the function, alive while this can be called
        self._context = store._context()
        self._function = ctypes.byref(function._func)
        # Arguments in, result out: the unchecked call shares one array for both.
        self._slots = (ffi.wasmtime_val_raw_t * max(arity, 1))()
        self._size = len(self._slots)
        self._trap = ctypes.POINTER(ffi.wasm_trap_t)()
        self._trap_ref = ctypes.byref(self._trap)

    def __call__(self, *arguments: int) -> int:
        slots = self._slots
        for index, argument in enumerate(arguments):
            slots[index].i32 = argument
        error = ffi.wasmtime_func_call_unchecked(self._context, self._function, slots, self._size, self._trap_ref)
        if error or self._trap:
            self._raise(error)
        return slots[0].i32

    def _raise(self, error) -> None:
        failure = wasmtime.WasmtimeError._from_ptr(error) if error else wasmtime.Trap._from_ptr(self._trap)
        if not error:
            # The Trap owns that pointer now: the next call gets a fresh one.
            self._trap = ctypes.POINTER(ffi.wasm_trap_t)()
            self._trap_ref = ctypes.byref(self._trap)
        maybe_raise_last_exn()  # a host function raised, which stopped the call: its exception goes on
        raise failure
