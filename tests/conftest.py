"""Shared helpers: compile and run real .ndg text through the real toolchain and wasmtime."""

from __future__ import annotations

import dataclasses
import json
import struct
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis.database import DirectoryBasedExampleDatabase, MultiplexedDatabase, ReadOnlyDatabase

from ndg.compiler.driver import compile_text
from ndg.runtime.abi import ALIGN
from ndg.runtime.engine import Runner
from ndg.runtime.plan import Param, Plan

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
HYPOTHESIS_CORPUS = ROOT / "tests" / "hypothesis-corpus"

# Hypothesis saves the failing examples it finds in .hypothesis (this clone's own); the ones in
# tests/hypothesis-corpus (copied there with `make keep-examples`) are replayed by every run,
# first, on every machine.
settings.register_profile("ndg", database=MultiplexedDatabase(
    DirectoryBasedExampleDatabase(ROOT / ".hypothesis" / "examples"),
    ReadOnlyDatabase(DirectoryBasedExampleDatabase(HYPOTHESIS_CORPUS))))
settings.load_profile("ndg")


def f32_bits(value: float) -> int:
    return struct.unpack("<i", struct.pack("<f", value))[0]


def load(text: str, name: str = "test.ndg", node_paths=()) -> Runner:
    compiled = compile_text(text, name, tuple(node_paths))
    return Runner(compiled.plan, compiled.module.wasm)


@pytest.fixture
def run_ndg():
    """Compile `text`, run it, and return the runner (its output and every node's value stay readable)."""
    def run(text: str, stepped: bool = False, **kwargs) -> Runner:
        runner = load(text, **kwargs)
        runner.run(stepped=stepped)
        return runner
    return run


def write_nodes(root: Path, nodes: dict) -> Path:
    """Node folders under `root` from {name: (definition without id, Rust source)}, ids test/extra/NAME."""
    for name, (definition, source) in nodes.items():
        (root / name / "src").mkdir(parents=True)
        (root / name / "definition.json").write_text(json.dumps({"id": f"test/extra/{name}", **definition}))
        (root / name / "src" / "lib.rs").write_text(source)
    return root


def with_param(plan: Plan, node: str, input_name: str, name: str, **bounds) -> Plan:
    """The plan with the constant on `node`'s input turned into parameter `name`, as the planner
    lays parameters out: the value moved into its own params region (here after every other region)."""
    step = next(s for s in plan.steps if s.node == node)
    moved = step.inputs[step.input_names.index(input_name)]
    constants = plan.region("constants")
    values, at = list(plan.values), constants.offset
    for index, value in enumerate(values):
        if value.words is not None and index != moved:
            values[index] = dataclasses.replace(value, offset=at)
            at += 4 * value.capacity
    params_at = -(-max(r.end for r in plan.regions) // ALIGN) * ALIGN
    values[moved] = dataclasses.replace(values[moved], offset=params_at)
    resized = {"constants": (constants.offset, at - constants.offset), "params": (params_at, 4 * values[moved].capacity)}
    regions = tuple(dataclasses.replace(r, offset=resized[r.kind][0], size=resized[r.kind][1]) if r.kind in resized else r
                    for r in plan.regions)
    param = Param(name, values[moved].type, moved, **bounds)
    return dataclasses.replace(plan, values=tuple(values), regions=regions, params=(*plan.params, param))


def scalar_chains(max_size: int):
    """Hypothesis strategy: .ndg text of random chains of scalar nodes (floats feeding math nodes,
    with integers, vec3s and booleans between them) and one box as the output."""
    from hypothesis import strategies as st

    calls = st.sampled_from(["float(value: {v})", "math(op_type: {op}, a: {v}, b: {prev})", "integer(value: 3)",
                             "vec3(0: {v}, 1: 1, 2: {v})", "boolean(value: true)"])

    def text(chosen) -> str:
        lines, floats = [], []
        for index, (template, value, op) in enumerate(chosen):
            previous = next((f"n{i}" for i in reversed(floats)), "1.0")
            lines.append(f"n{index} = " + template.format(v=repr(float(value)), op=op, prev=previous))
            if template.startswith(("float", "math")):
                floats.append(index)
        lines.append("output(input: box(size: 1))")
        return "\n".join(lines)

    return st.lists(st.tuples(calls, st.floats(-1e3, 1e3, width=32), st.integers(0, 3)),
                    min_size=1, max_size=max_size).map(text)
