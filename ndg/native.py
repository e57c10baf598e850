"""A plan run by a native build of its node library, on the memory image the wasmtime runner
prepares: the yardstick of the benchmarks (bench/bench_engines.py) and the proof that every target
computes the same bytes (tests/test_native.py).

The native build is the crate `ndg compile` generates, built for this machine; node code reaches
the memory through the plan's byte addresses, counted from the buffer given with
`ndg_memory_base` (nodes/ndg_util/src/abi.rs). It runs trusted code only: no bound, no sandbox,
and a node that panics ends the process. A front end of its own: the runtime never loads it.
"""

from __future__ import annotations

import ctypes
import itertools
from pathlib import Path

import numpy as np

from ndg.compiler.build import build_native_library
from ndg.compiler.definitions import NodeLibrary
from ndg.errors import UserError
from ndg.runtime.abi import (
    CONTROL_FIELDS,
    WORD_BYTES,
    ControlField,
    RegionKind,
    Status,
)
from ndg.runtime.direct_call import native_run
from ndg.runtime.engine import Runner, held_words, run_flags
from ndg.runtime.plan import Plan

# Run numbers for the whole process: every native runner of one library shares its statics (the
# per-use call counters start again when the number changes), so no two runs may share one.
_RUN_NUMBERS = itertools.count(1)


def native_library(plan: Plan, tuned: bool = False) -> Path:
    """The native build of the node library the plan's single module was built from: for the
    baseline CPU of this machine's architecture, or `tuned` for this very CPU."""
    if plan.modules:
        raise UserError("a native build runs single-module plans only", "compile without --modules per-node")
    nodes = tuple(node for node in NodeLibrary.load().nodes if node.prebuilt_module is None)
    if tuple(node.id for node in nodes) != plan.kinds:
        raise UserError("the plan's node kinds are not those of ndg's node library",
                        "compile the graph again, with the built-in library only")
    return build_native_library(nodes, tuned)


class NativeRunner:
    """Runs `runner`'s plan natively on a copy of its memory image (taken now)."""

    def __init__(self, runner: Runner, library: Path):
        self.plan = runner.plan
        self._memory = runner.memory_image()
        self._words = self._memory.view("<i4")
        self._control = self.plan.region(RegionKind.CONTROL).offset
        self._value_table = self.plan.region(RegionKind.VALUES).offset // WORD_BYTES
        self._library = ctypes.CDLL(str(library))  # loaded as long as this runner calls into it
        self._set_base = ctypes.cast(self._library.ndg_memory_base, ctypes.c_void_p).value
        self._run = ctypes.cast(self._library.ndg_run, ctypes.c_void_p).value
        self._base = self._memory.ctypes.data
        self._control_address = self._base + self._control
        self._flags_word = self._control // WORD_BYTES + ControlField.FLAGS
        self._n_steps = len(self.plan.steps)

    def run(self) -> np.ndarray:
        """Every step, in one call; the output's words (a view, valid until the next run)."""
        self._words[self._flags_word] = run_flags(self.plan, next(_RUN_NUMBERS))
        # From C, as the runtime calls wasmtime (runtime/direct_call.c): timed side by side, the two
        # calls carry the same host cost.
        status = native_run(self._set_base, self._run, self._base, self._control_address, 0, self._n_steps)
        if status != Status.OK:
            control = self._words[self._control // WORD_BYTES:][:CONTROL_FIELDS]
            step = self.plan.steps[int(control[ControlField.CURRENT_STEP])]
            raise UserError(f"node `{step.node}` failed in the native build (status {status})")
        return self.value(self.plan.output)

    def value(self, index: int) -> np.ndarray:
        """The words value `index` holds now."""
        return held_words(self._words, self._value_table, self.plan, index)

    def memory(self) -> np.ndarray:
        """The whole memory as the last run left it."""
        return self._memory
