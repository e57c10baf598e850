"""A native build of the node library, run on the same memory image, computes the same bytes as
wasmtime: for every example, in default and compatibility mode, and for generated plant graphs."""

import dataclasses
import functools
import random

import numpy as np
import pytest
from conftest import EXAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st
from plant_graphs import plant_graph

from ndg.compiler.driver import compile_text, read_source
from ndg.errors import UserError
from ndg.native import NativeRunner, native_library
from ndg.runtime.abi import WORD_BYTES, ControlField, RegionKind
from ndg.runtime.engine import Runner

pytestmark = pytest.mark.toolchain

EXAMPLE_NAMES = sorted(p.name for p in EXAMPLES.glob("*.ndg"))


@functools.cache
def compiled_example(name: str, compat: bool = False):
    text = read_source(EXAMPLES / name)
    if compat:  # compatibility mode, sized for it by the planner
        text = (text.replace("settings {", "settings {\n    ndg.compat: true,", 1) if "settings {" in text
                else "settings { ndg.compat: true }\n" + text)
    return compile_text(text, name)


def comparable(memory: np.ndarray, plan) -> np.ndarray:
    """Everything a run may write outside the module's own static region (data and stack), with
    the control block's flags word, whose run number each engine counts itself, blanked."""
    words = memory[plan.region(RegionKind.STATIC).end:].view("<i4").copy()
    control = plan.region(RegionKind.CONTROL).offset - plan.region(RegionKind.STATIC).end
    words[control // WORD_BYTES + ControlField.FLAGS] = 0
    return words


def assert_same_runs(plan, wasm: bytes, runs: int = 2) -> None:
    with Runner(plan, wasm) as runner:
        native = NativeRunner(runner, native_library(plan))
        for _ in range(runs):  # a second run starts the per-use counters again on both
            expected = runner.run(full=True).tobytes()
            assert native.run().tobytes() == expected
            assert np.array_equal(comparable(native.memory(), plan), comparable(runner.memory_image(), plan))


COMPAT_CASES = [pytest.param(name, True, id=f"{name}-compat") for name in EXAMPLE_NAMES]


@pytest.mark.parametrize(("name", "compat"), [*((name, False) for name in EXAMPLE_NAMES), *COMPAT_CASES])
def test_native_build_computes_the_bytes_wasmtime_computes(name, compat):
    compiled = compiled_example(name, compat)
    assert compiled.plan.compat == compat
    assert_same_runs(compiled.plan, compiled.module.wasm)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**32 - 1), st.integers(2, 12))
def test_native_build_matches_wasmtime_on_generated_plants(seed, nodes):
    compiled = compile_text(plant_graph(random.Random(seed), nodes, with_params=False), "generated.ndg")
    assert_same_runs(compiled.plan, compiled.module.wasm, runs=1)


def test_plans_of_other_node_sets_are_refused():
    compiled = compiled_example("basics.ndg")
    plan = dataclasses.replace(compiled.plan, kinds=compiled.plan.kinds[:-1])
    with pytest.raises(UserError, match="node kinds"):
        native_library(plan)
