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
  process, asleep until the earliest deadline, sets the stop word of a run past it. wasmtime's
  own epoch interruption does the same job at 10-14% of the plant and the tree: its checks call
  into the runtime, which makes the compiled code spill its float registers around every one;
- "fuel" (`--budget`): a count of about one unit per wasm instruction, the same on every machine,
  at the price of a counter update in every basic block (13% of the plant).
"""

from __future__ import annotations

import functools
import math
import os
import resource
import threading
import time
import weakref
from collections.abc import Iterable

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
# How soon the clock looks again at a run it stopped: if the word was cleared in the moment page 0
# was writable for the clock's own write, it is set again then.
STOP_RECHECK = 0.01


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
        self._deadline = math.inf
        with _clock.lock:
            _clock.switches.add(self)

    def arm(self, seconds: float) -> None:
        """Clear the stop word and stop what runs from now on after `seconds`."""
        clock = _clock
        deadline = time.monotonic() + seconds
        # Under the lock, so that the clock cannot stop this run for the last one's deadline; taken
        # by hand, which costs half what `with` does (a run's host work is about 1 µs).
        clock.lock.acquire()
        try:
            if self._pages.stop_word:  # a run stopped before: the only time this costs system calls
                self._pages.set_stop_word(0)
            self._deadline = deadline
            if deadline < clock.wakes_at:  # rare: back-to-back runs only push deadlines later
                clock.wake()
        finally:
            clock.lock.release()

    @property
    def stopped(self) -> bool:
        return self._pages.stop_word != 0

    def _look(self, now: float) -> float:
        """Stop this switch's run if it is past its deadline; when to look at it again."""
        if now < self._deadline:
            return self._deadline
        if self._pages.stop_word:
            self._deadline = math.inf  # stopped, and the word held: nothing more to do until `arm`
            return math.inf
        self._pages.set_stop_word(1)
        return now + STOP_RECHECK


class _Clock:
    """One thread per process, started by the first deadline, that sleeps until the earliest
    deadline of any switch (not waking at all while none is armed) and stops the runs past theirs.
    Its lock guards every switch's deadline and stop word."""

    def __init__(self, switches: Iterable[StopSwitch] = ()):
        self.lock = threading.Lock()  # taken as is on every run: a Condition's own `with` costs 150 ns more
        self.condition = threading.Condition(self.lock)
        self.switches: weakref.WeakSet[StopSwitch] = weakref.WeakSet(switches)
        self.wakes_at = math.inf
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """Look at the deadlines again now (the caller holds the lock)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="ndg-stop-clock", daemon=True)
            self._thread.start()
        self.condition.notify()

    def _run(self) -> None:
        with self.condition:
            while True:
                now = time.monotonic()
                self.wakes_at = min((switch._look(now) for switch in self.switches), default=math.inf)
                self.condition.wait(None if self.wakes_at == math.inf else self.wakes_at - now)


_clock = _Clock()


def _forget_clock() -> None:
    """In a forked child, which has no clock thread (and whose lock a thread of the parent may have
    held), a clock of its own for the switches it inherited, started by their next deadline."""
    global _clock
    _clock = _Clock(list(_clock.switches))


os.register_at_fork(after_in_child=_forget_clock)


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
