"""The one place that configures wasmtime for the untrusted code a plan carries.

A plan's modules are whatever its file holds, so everything they could use to take more than the
plan promises is switched off or capped here: one memory in the whole store (the host's, exactly
the plan's size: multi-memory is off and no module may add its own), a few small tables, one
instance per module, a bound on every run, and a native stack bound. When the process's address
space is limited (`ulimit -v`), the engine reserves only the memory's own size instead of
wasmtime's default 4 GiB reservation plus guard pages, and bounds-checks explicitly.

A run is bounded in one of two ways, each its own engine (the machine code differs):
- "epoch" (the default): a deadline in seconds. One clock thread per process advances wasmtime's
  epoch every `EPOCH_TICK`; the code checks the epoch at function entries and loop heads, a load
  and a compare, so a run costs about what it costs with no bound at all;
- "fuel" (`--budget`): a count of about one unit per wasm instruction, the same on every machine,
  at the price of a counter update in every basic block (13% of the plant).
"""

from __future__ import annotations

import functools
import math
import resource
import threading
import time

import wasmtime

from ndg.errors import UserError

# Elements in any one table: ndg's modules need a few hundred for indirect calls; a funcref
# element costs the host about 8 bytes, so this caps a module's tables at a few MiB.
MAX_TABLE_ELEMENTS = 1 << 16
MAX_TABLES_PER_INSTANCE = 1
# wasmtime's default reservation for a 32-bit memory (4 GiB) plus its guard (32 MiB) and what the
# compiler, Python and wasmtime themselves take: below this address-space limit, reserve less.
ROOMY_ADDRESS_SPACE = 8 << 30
# Native stack for wasm code, well under the thread's 8 MiB: recursion traps instead of crashing.
MAX_WASM_STACK = 1 << 20
METERINGS = ("epoch", "fuel")
# How often the epoch clock ticks: the resolution of a deadline. Waking 100 times a second costs
# the process nothing measurable.
EPOCH_TICK = 0.01


def address_space_limit() -> int | None:
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return None if soft == resource.RLIM_INFINITY else soft


def _tight() -> bool:
    limit = address_space_limit()
    return limit is not None and limit < ROOMY_ADDRESS_SPACE


def engine_settings(metering: str) -> str:
    """Everything about the engine's configuration that changes the machine code it compiles
    (part of the compiled-code cache's key)."""
    return f"{metering}-tight" if _tight() else metering


@functools.cache
def untrusted_engine(metering: str) -> wasmtime.Engine:
    """One engine per way of bounding runs (`METERINGS`) for every runner in the process, so
    compiled code is shared and cacheable."""
    if metering not in METERINGS:
        raise ValueError(f"unknown metering {metering!r}")
    config = wasmtime.Config()
    config.consume_fuel = metering == "fuel"
    config.epoch_interruption = metering == "epoch"
    config.wasm_multi_memory = False
    config.wasm_threads = False
    config.max_wasm_stack = MAX_WASM_STACK
    if _tight():
        config.memory_reservation = 0
        config.memory_guard_size = 0
        config.memory_reservation_for_growth = 0
    engine = wasmtime.Engine(config)
    if metering == "epoch":
        threading.Thread(target=_advance_epochs, args=(engine,), name="ndg-epoch-clock", daemon=True).start()
    return engine


def _advance_epochs(engine: wasmtime.Engine) -> None:
    while True:
        time.sleep(EPOCH_TICK)
        engine.increment_epoch()


def epoch_ticks(seconds: float) -> int:
    """The epoch deadline, in ticks from now, that stops a run after at least `seconds`: one tick
    more than the time holds, since the current tick has partly passed already."""
    return math.ceil(seconds / EPOCH_TICK) + 1


def untrusted_store(engine: wasmtime.Engine, memory_bytes: int, modules: int) -> wasmtime.Store:
    """A store that holds one memory of at most `memory_bytes` and `modules` instances."""
    store = wasmtime.Store(engine)
    store.set_limits(memory_size=memory_bytes, table_elements=MAX_TABLE_ELEMENTS, instances=modules,
                     tables=modules * MAX_TABLES_PER_INSTANCE, memories=1)
    return store


def host_memory(store: wasmtime.Store, pages: int) -> wasmtime.Memory:
    """The plan's memory, fixed at `pages`; a clear error when the address space cannot hold it."""
    try:
        return wasmtime.Memory(store, wasmtime.MemoryType(wasmtime.Limits(pages, pages)))
    except wasmtime.WasmtimeError as error:
        limit = address_space_limit()
        if limit is None:
            raise
        raise UserError(f"the plan's {pages * 65536:,}-byte memory does not fit the process's address-space "
                        f"limit of {limit:,} bytes ({str(error).splitlines()[0]})",
                        "raise the limit (`ulimit -v`) or compile the graph with smaller amounts") from None
