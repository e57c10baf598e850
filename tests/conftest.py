"""Shared helpers: compile and run real .ndg text through the real toolchain and wasmtime."""

from __future__ import annotations

import dataclasses
import json
import struct
from pathlib import Path

import pytest

from ndg.compiler.driver import compile_text
from ndg.runtime.engine import Runner
from ndg.runtime.plan import ALIGN, Param, Plan

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"


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
