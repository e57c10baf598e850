"""Calls into the module through wasmtime's unchecked C entry point, made from C.

wasmtime-py's `Func.__call__` asks the function for its type, converts and type-checks every
argument and builds fresh argument arrays on every call: about 45 µs, which would dwarf a plan's
whole run and make stepped replay measure wasmtime-py instead of the nodes. The runtime's calls
all take i32 arguments and return one i32 status, so the signature is checked once, when the call
is bound, and every call then goes to `wasmtime_func_call_unchecked` from the `direct_call`
extension (runtime/direct_call.c): 75 ns a call, where the same call through ctypes took 0.7 µs.

The addresses it calls come from wasmtime-py's ctypes bindings (`wasmtime._ffi`), which are not
its public interface; pyproject.toml pins the wasmtime version they were written against.
"""

from __future__ import annotations

import ctypes
from typing import NoReturn

import wasmtime
from wasmtime import _ffi as ffi
from wasmtime._func import maybe_raise_last_exn

from ndg.runtime.direct_call import Caller

_CALL_UNCHECKED = ctypes.cast(ffi.dll.wasmtime_func_call_unchecked, ctypes.c_void_p).value


def fast_call(store: wasmtime.Store, function: wasmtime.Func, arity: int) -> Caller:
    """Exported `function` of `store`, of type `(i32 × arity) -> i32`, callable with Python ints;
    a trap is raised as `wasmtime.Trap`, an exception a host function raised as itself."""
    kind = function.type(store)
    if [str(t) for t in kind.params] != ["i32"] * arity or [str(t) for t in kind.results] != ["i32"]:
        raise TypeError(f"expected a function of {arity} i32 parameters returning one i32, not {kind.params} -> {kind.results}")
    context = ctypes.cast(store._context(), ctypes.c_void_p).value
    return Caller(_CALL_UNCHECKED, context, ctypes.addressof(function._func), arity, _raise_failure,
                  (store, function))


def _raise_failure(error: int, trap: int) -> NoReturn:
    failure: Exception
    if error:
        failure = wasmtime.WasmtimeError._from_ptr(ctypes.cast(error, ctypes.POINTER(ffi.wasmtime_error_t)))
    else:
        failure = wasmtime.Trap._from_ptr(ctypes.cast(trap, ctypes.POINTER(ffi.wasm_trap_t)))
    maybe_raise_last_exn()  # a host function raised, which stopped the call: its exception goes on
    raise failure
