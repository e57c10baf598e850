"""Calls into the module through wasmtime's unchecked C entry point, with no per-call allocation.

wasmtime-py's `Func.__call__` asks the function for its type, converts and type-checks every
argument and builds fresh argument arrays on every call: about 45 µs here, which would dwarf a
plan's whole run and make stepped replay measure wasmtime-py instead of the nodes. The runtime's
calls all take i32 arguments and return one i32 status, so the signature is checked once, when
the call is bound, and every call then writes its arguments into the same array and makes one
C call. That call goes through a prototype of plain addresses (`_call_unchecked`): wasmtime-py's
own, with typed pointer arguments, spends 1.2 µs checking them on every call, twice the call.

This uses wasmtime-py's ctypes bindings (`wasmtime._ffi`), which are not its public interface;
pyproject.toml pins the wasmtime version they were written against.
"""

from __future__ import annotations

import ctypes
import struct

import wasmtime
from wasmtime import _ffi as ffi
from wasmtime._func import maybe_raise_last_exn

# wasmtime_func_call_unchecked(context, function, arguments and results, their count, trap out).
# A CFUNCTYPE call releases the GIL, so the clock thread can stop a run past its deadline.
_call_unchecked = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p,
                                   ctypes.c_size_t, ctypes.c_void_p)(("wasmtime_func_call_unchecked", ffi.dll))


class FastCall:
    """An exported `(i32 × arity) -> i32` function of one store, callable with Python ints."""

    def __init__(self, store: wasmtime.Store, function: wasmtime.Func, arity: int):
        kind = function.type(store)
        if [str(t) for t in kind.params] != ["i32"] * arity or [str(t) for t in kind.results] != ["i32"]:
            raise TypeError(f"expected a function of {arity} i32 parameters returning one i32, not {kind.params} -> {kind.results}")
        # The store and the function own what the addresses below point to.
        self._owners = (store, function)
        self._context = ctypes.cast(store._context(), ctypes.c_void_p).value
        self._function = ctypes.addressof(function._func)
        # Arguments in, result out: the unchecked call shares one array for both.
        slots = (ffi.wasmtime_val_raw_t * max(arity, 1))()
        self._slots_owner = slots
        self._slots = ctypes.addressof(slots)
        self._size = len(slots)
        self._arguments = tuple(slots[index] for index in range(arity))
        # Each argument is the first 4 bytes of its 16-byte slot: one pack writes them all.
        self._pack = struct.Struct("<" + "i12x" * arity).pack_into
        self._view = memoryview(slots).cast("B")
        self._result = slots[0]
        self._trap = ctypes.c_void_p()
        self._trap_at = ctypes.addressof(self._trap)

    def __call__(self, *arguments: int) -> int:
        self._pack(self._view, 0, *arguments)
        error = _call_unchecked(self._context, self._function, self._slots, self._size, self._trap_at)
        if error or self._trap.value:
            self._raise(error)
        return self._result.i32

    def each_step(self, control: int, first: int, end: int) -> int:
        """For a `(control, first, end)` dispatcher: one call per step from `first` to `end`, each
        running that step alone; the first status that is not 0 (OK), else 0. Everything per step
        is bound here once: what remains is the host call."""
        control_slot, first_slot, end_slot = self._arguments
        result, trap = self._result, self._trap
        call, context, function, slots, size, trap_at = (_call_unchecked, self._context, self._function, self._slots,
                                                        self._size, self._trap_at)
        for index in range(first, end):
            control_slot.i32, first_slot.i32, end_slot.i32 = control, index, index + 1
            error = call(context, function, slots, size, trap_at)
            if error or trap.value:
                self._raise(error)
            if result.i32:
                return result.i32
        return 0

    def _raise(self, error: int | None) -> None:
        if error:
            failure: Exception = wasmtime.WasmtimeError._from_ptr(ctypes.cast(error, ctypes.POINTER(ffi.wasmtime_error_t)))
        else:
            # The Trap owns that pointer now: the next call starts with none.
            failure = wasmtime.Trap._from_ptr(ctypes.cast(self._trap, ctypes.POINTER(ffi.wasm_trap_t)))
            self._trap.value = None
        maybe_raise_last_exn()  # a host function raised, which stopped the call: its exception goes on
        raise failure
