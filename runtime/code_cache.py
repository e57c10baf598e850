"""Compiled machine code, cached so that a second run of a module skips wasmtime's compiler.

Entries live in `$NDG_CACHE_DIR/compiled/`, named by the module's SHA-256, the wasmtime version
and the engine settings the code was compiled for. Deserializing is trusted-input-only in
wasmtime (the bytes are machine code, not checked wasm): we only ever deserialize files this
code wrote itself, under a name derived from the hash of the module they were compiled from,
and written atomically so a half-written file is never read.
"""

from __future__ import annotations

import functools
from pathlib import Path

import wasmtime

from ndg.cache import cache_dir
from ndg.outputs import write_output


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


def load_module(engine: wasmtime.Engine, module: bytes, digest: str, settings: str) -> tuple[wasmtime.Module, bool]:
    """The module compiled for `engine`, and whether it came from the cache.

    `digest` must be the SHA-256 of `module` (the caller has checked it) and `settings` must name
    everything about `engine` that changes the machine code.
    """
    path = compiled_path(digest, settings)
    if path.is_file():
        try:
            return wasmtime.Module.deserialize_file(engine, str(path)), True
        except wasmtime.WasmtimeError:
            pass  # written by an incompatible build of wasmtime: compile again and replace it
    compiled = wasmtime.Module(engine, module)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_output(path, bytes(compiled.serialize()))
    except OSError:
        pass  # a read-only cache only costs the next run a compile
    return compiled, False
