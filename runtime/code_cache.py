"""Compiled machine code, cached so that a second run of a module skips wasmtime's compiler.

Entries live in `$NDG_CACHE_DIR/compiled/`, named by the module's SHA-256, the wasmtime version
and the engine settings the code was compiled for. Deserializing is trusted-input-only in
wasmtime (the bytes are machine code, not checked wasm, and one flipped bit can change a result
or crash the process): an entry is deserialized only when its recorded digest still matches its
bytes (`ndg.cache.read_entry`); anything else is compiled again and replaced.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import wasmtime

from ndg.cache import cache_dir, cache_folder, read_entry, write_entry
from ndg.errors import UserError


@functools.cache
def wasmtime_version() -> str:
    """wasmtime's version, from its install record beside the package when there is one: asking
    importlib.metadata scans every path entry and costs tens of milliseconds at each start."""
    for record in Path(wasmtime.__file__).parent.parent.glob("wasmtime-*.dist-info"):
        return record.name[len("wasmtime-") : -len(".dist-info")]
    from importlib.metadata import version  # tens of milliseconds to import: only when needed

    return version("wasmtime")


def compiled_path(digest: str, settings: str) -> Path:
    return cache_dir() / "compiled" / f"{digest}-wasmtime{wasmtime_version()}-{settings}.cwasm"


def load_module(engine: wasmtime.Engine, module: bytes, digest: str, settings: str,
                prepare: Callable[[bytes], bytes]) -> tuple[wasmtime.Module, bool]:
    """The module compiled for `engine`, and whether it came from the cache.

    `digest` must be the SHA-256 of `module` (the caller has checked it); what is compiled is
    `prepare(module)`, and `settings` must name everything about `engine` and `prepare` that
    changes the machine code.
    """
    path = compiled_path(digest, settings)
    cached = read_entry(path)
    if cached is not None:
        try:
            return wasmtime.Module.deserialize(engine, cached), True
        except wasmtime.WasmtimeError:
            pass  # written by an incompatible build of wasmtime: compile again and replace it
    compiled = wasmtime.Module(engine, prepare(module))
    try:
        cache_folder("compiled")
        write_entry(path, bytes(compiled.serialize()))
    except UserError:
        pass  # a read-only cache only costs the next run a compile
    return compiled, False
