"""The one place that configures wasmtime for the untrusted code a plan carries.

A plan's modules are whatever its file holds, so everything they could use to take more than the
plan promises is switched off or capped here: one memory in the whole store (the host's, exactly
the plan's size: modules are validated with multi-memory off and may not add their own), a few
small tables, one instance per module, a bound on every run, and a native stack bound. What
wasmtime compiles is the module rewritten (ndg.runtime.sandboxed_code) so that it can be stopped
and cannot write the memory's read-only pages (ndg.runtime.read_only) from host code. When the
process's address space is limited (`ulimit -v`), the engine reserves only the memory's own size
instead of wasmtime's default 4 GiB reservation plus guard pages, and bounds-checks explicitly.

A run is bounded in one of two ways, each its own engine (the machine code differs):
- "deadline" (the default): a deadline in seconds. The module is compiled with stop checks
  (ndg.runtime.sandboxed_code): at loop heads and in functions that call, a load of the stop word
  (address 0, on a read-only page) and a branch to a trap, never taken until one clock thread per
  process, waking every `STOP_TICK`, sets the stop word of a run past its deadline. wasmtime's
  own epoch interruption does the same job at 10-14% of the plant and the tree: its checks call
  into the runtime, which makes the compiled code spill its float registers around every one;
- "fuel" (`--budget`): a count of about one unit per wasm instruction, the same on every machine,
  at the price of a counter update in every basic block (13% of the plant).
"""

from __future__ import annotations

import functools
import os
import resource
import threading
import time
import weakref

import wasmtime

from ndg.errors import UserError
from ndg.runtime.read_only import ReadOnlyPages
from ndg.runtime.sandboxed_code import SANDBOX_REVISION, sandboxed_code

# Elements in any one table: ndg's modules need a few hundred for indirect calls; a funcref
# element costs the host about 8 bytes, so this caps a module's tables at a few MiB.
MAX_TABLE_ELEMENTS = 1 << 16
MAX_TABLES_PER_INSTANCE = 1
# wasmtime's default reservation for a 32-bit memory (4 GiB) plus its guard (32 MiB) and what the
# compiler, Python and wasmtime themselves take: below this address-space limit, reserve less.
ROOMY_ADDRESS_SPACE = 8 << 30
# Native stack for wasm code, well under the thread's 8 MiB: recursion traps instead of crashing.
MAX_WASM_STACK = 1 << 20
METERINGS = ("deadline", "fuel")
# How often the clock looks for runs past their deadline: the resolution of a deadline. Waking 100
# times a second costs the process nothing measurable.
STOP_TICK = 0.01


def address_space_limit() -> int | None:
    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    return None if soft == resource.RLIM_INFINITY else soft


def _tight() -> bool:
    limit = address_space_limit()
    return limit is not None and limit < ROOMY_ADDRESS_SPACE


def engine_settings(metering: str) -> str:
    """Everything about the engine's configuration that changes the machine code it compiles
    (part of the compiled-code cache's key)."""
    settings = f"{metering}-r{SANDBOX_REVISION}"
    return f"{settings}-tight" if _tight() else settings


@functools.cache
def untrusted_engine(metering: str) -> wasmtime.Engine:
    """One engine per way of bounding runs (`METERINGS`) for every runner in the process, so
    compiled code is shared and cacheable."""
    if metering not in METERINGS:
        raise ValueError(f"unknown metering {metering!r}")
    config = wasmtime.Config()
    config.consume_fuel = metering == "fuel"
    config.wasm_multi_memory = False
    config.wasm_threads = False
    # Proposals ndg's modules do not use, whose encodings (typed references, exception handlers,
    # 64-bit memories, …) the rewriter's decoder (ndg.runtime.sandboxed_code) does not read: off,
    # so that validation refuses them before the decoder sees them.
    for proposal in ("gc", "function_references", "exceptions", "memory64", "stack_switching",
                     "wide_arithmetic", "custom_page_sizes", "component_model"):
        setattr(config, f"wasm_{proposal}", False)
    config.max_wasm_stack = MAX_WASM_STACK
    if _tight():
        config.memory_reservation = 0
        config.memory_guard_size = 0
        config.memory_reservation_for_growth = 0
    return wasmtime.Engine(config)


def untrusted_code(metering: str, module: bytes) -> bytes:
    """What the engine for `metering` compiles for `module`, once it has been validated as it came:
    the module with its bulk-memory writes guarded, and under a deadline with stop checks."""
    wasmtime.Module.validate(untrusted_engine("fuel"), module)
    return sandboxed_code(module, stop_checks=metering == "deadline")


class StopSwitch:
    """The stop word of a store's plan memory (`pages`) and the deadline of its current run: once
    the deadline passes, the clock sets the stop word and the next stop check in the running code
    traps."""

    def __init__(self, store: wasmtime.Store, pages: ReadOnlyPages):
        self._store = store  # the memory stays mapped as long as the clock may reach this switch
        self._pages = pages
        self._deadline = float("inf")
        _watch(self)

    def arm(self, seconds: float) -> None:
        """Clear the stop word and stop what runs from now on after `seconds`."""
        with _clock_lock:  # so that the clock cannot stop this run for the last one's deadline
            if self._pages.stop_word:  # a run stopped before: the only time this costs system calls
                self._pages.set_stop_word(0)
            self._deadline = time.monotonic() + seconds

    @property
    def stopped(self) -> bool:
        return self._pages.stop_word != 0

    def _stop_if_overdue(self, now: float) -> None:
        if now >= self._deadline and not self._pages.stop_word:
            self._pages.set_stop_word(1)


_clock_lock = threading.Lock()
_clock: list[threading.Thread] = []  # started with the first switch
_switches: weakref.WeakSet[StopSwitch] = weakref.WeakSet()


def _watch(switch: StopSwitch) -> None:
    with _clock_lock:
        if not _clock:
            _clock.append(threading.Thread(target=_stop_overdue_runs, name="ndg-stop-clock", daemon=True))
            _clock[0].start()
        _switches.add(switch)


def _forget_clock() -> None:
    """In a forked child, which has no clock thread, the next switch starts one."""
    global _clock_lock
    _clock_lock = threading.Lock()
    _clock.clear()


os.register_at_fork(after_in_child=_forget_clock)


def _stop_overdue_runs() -> None:
    while True:
        time.sleep(STOP_TICK)
        with _clock_lock:
            now = time.monotonic()
            for switch in _switches:
                switch._stop_if_overdue(now)


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
