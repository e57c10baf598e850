"""Shared helpers: compile and run real .ndg text through the real toolchain and wasmtime."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from ndg.compiler.driver import compile_text
from ndg.runtime.engine import Runner

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
