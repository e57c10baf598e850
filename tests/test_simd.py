"""Modules are built with wasm simd128, and the nodes' SIMD loops (ndg_util::lanes) give exactly
the bytes of their lane-by-lane fallback: the plant built both ways writes the same words."""

import dataclasses

import pytest
from conftest import EXAMPLES

from ndg.compiler import build
from ndg.compiler.driver import compile_text, read_source
from ndg.runtime.engine import Runner

pytestmark = pytest.mark.toolchain

SIMD_FLAG = '"-C", "target-feature=+simd128", '


def without_simd(generate):
    def generate_scalar(nodes):
        crate = generate(nodes)
        config = crate.files[".cargo/config.toml"]
        assert SIMD_FLAG in config
        return dataclasses.replace(crate, files={**crate.files, ".cargo/config.toml": config.replace(SIMD_FLAG, "")})
    return generate_scalar


def test_simd_and_lane_by_lane_builds_write_the_same_plant(monkeypatch):
    source = read_source(EXAMPLES / "plant.ndg")
    simd = compile_text(source, "plant.ndg")
    monkeypatch.setattr(build, "generate", without_simd(build.generate))
    scalar = compile_text(source, "plant.ndg")
    assert simd.module.wasm != scalar.module.wasm
    words = [Runner(c.plan, c.module.wasm).run().tobytes() for c in (simd, scalar)]
    assert len(words[0]) == 4 * 2_253_489
    assert words[0] == words[1]
