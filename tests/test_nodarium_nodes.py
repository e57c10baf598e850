"""Node by node against real Nodarium: each case's node of interest, run by ndg, next to the words
Nodarium's own module returned for it (tests/fixtures/nodarium_nodes.json.gz, made by
scripts/nodarium_node_fixtures.py with the oracle). Compatibility mode must give the same words,
bit for bit; default mode too, except where one of its listed fixes of an upstream bug applies.
And whole plants: Nodarium's default template (randoms made constants) at three seeds."""

import dataclasses
import gzip
import hashlib
import json
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from ndg.compiler.driver import compile_text
from ndg.runtime.engine import Runner

pytestmark = pytest.mark.toolchain

DATA = json.loads(gzip.decompress((Path(__file__).parent / "fixtures" / "nodarium_nodes.json.gz").read_bytes()))
FIXTURES, PLANTS = DATA["nodes"], DATA["plants"]


@cache
def compiled(name: str):
    case = FIXTURES.get(name) or PLANTS[name]
    return compile_text(case["ndg"], f"{name}.ndg", ())


def subject_words(name: str, compat: bool) -> list[int]:
    result = compiled(name)
    runner = Runner(dataclasses.replace(result.plan, compat=compat), result.module.wasm)
    runner.run()
    subject = "subject" if any(step.node == "subject" for step in result.plan.steps) else "output"
    return runner.node_value(subject).tolist()


@pytest.mark.parametrize("name", FIXTURES)
def test_compatibility_mode_gives_nodariums_words(name):
    assert subject_words(name, compat=True) == FIXTURES[name]["words"]


@pytest.mark.parametrize("name", [name for name, case in FIXTURES.items() if not case["fixes"]])
def test_default_mode_gives_nodariums_words_where_no_fix_applies(name):
    assert subject_words(name, compat=False) == FIXTURES[name]["words"]


@pytest.mark.parametrize("name", [name for name, case in FIXTURES.items() if case["fixes"]])
def test_default_mode_differs_where_a_fix_applies(name):
    assert subject_words(name, compat=False) != FIXTURES[name]["words"]


def floats(words) -> np.ndarray:
    return np.asarray(words, dtype="<i4").view("<f4")


@pytest.mark.parametrize("name", PLANTS)
def test_compatibility_mode_gives_nodariums_whole_default_plant(name):
    result = compiled(name)
    words = Runner(dataclasses.replace(result.plan, compat=True), result.module.wasm).run()
    assert len(words) == PLANTS[name]["length"] == 2_253_489
    assert hashlib.sha256(words.tobytes()).hexdigest() == PLANTS[name]["sha256"]
    # Default mode fixes bugs in place: the same number of words (items, vertices, faces).
    assert len(Runner(result.plan, result.module.wasm).run()) == PLANTS[name]["length"]
