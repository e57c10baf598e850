"""The differential corpus: Nodarium graphs (JSON, as Nodarium saves them) run by real Nodarium
(tests/fixtures/nodarium_corpus.json.gz, made by scripts/nodarium_corpus.py with the oracle) and
by ndg after `ndg import`, at the same run seed.

Compatibility mode must give Nodarium's words bit for bit in every case. Default mode differs
only where a listed fix of an upstream bug applies: item, vertex and face counts are Nodarium's
everywhere (more items only where Nodarium drops branches), paths are Nodarium's wherever no fix
changes them, and every tube's faces are Nodarium's."""

import dataclasses
import gzip
import hashlib
import json
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from ndg.compiler.definitions import NodeLibrary
from ndg.compiler.driver import compile_text
from ndg.compiler.nodarium.interchange import import_graph
from ndg.runtime.engine import Runner
from ndg.runtime.format import GEOMETRY, INSTANCES, PATH, repair_geometry_counts, split_items

CASES = json.loads(gzip.decompress((Path(__file__).parent / "fixtures" / "nodarium_corpus.json.gz").read_bytes()))
# Fixes that move or drop path points; without them, default mode's paths are Nodarium's.
PATH_FIXES = {"gravity_late", "branch_parallel_to_y", "branch_depth_tag"}


@cache
def library() -> NodeLibrary:
    return NodeLibrary.load(())


@cache
def compiled(name: str):
    imported = import_graph(CASES[name]["graph"], library(), f"{name}.json")
    return compile_text(imported.text, f"{name}.ndg")


@cache
def result(name: str, compat: bool) -> np.ndarray:
    plan = compiled(name).plan
    with Runner(dataclasses.replace(plan, compat=compat), compiled(name).module.wasm) as runner:
        if any(p.name == "seed" for p in plan.params):
            runner.set_param("seed", CASES[name]["seed"])
        return runner.run().copy()


def upstream(name: str) -> np.ndarray:
    """Nodarium's words, from the fixture or (for the large results) from compatibility mode, which
    the compatibility test holds to the fixture's digest."""
    case = CASES[name]
    return np.array(case["words"], dtype="<i4") if "words" in case else result(name, True)


def test_the_corpus_covers_every_node_and_the_default_template():
    assert len(CASES) >= 80
    types = {node["type"].rsplit("/", 1)[1] for case in CASES.values() for node in case["graph"]["nodes"]}
    assert types == {"stem", "branch", "noise", "gravity", "rotate", "instance", "box", "triangle", "math", "float",
                     "vec3", "random", "output"}
    assert sum(name.startswith("default_template_") for name in CASES) == 3


@pytest.mark.parametrize("name", CASES)
def test_compatibility_mode_is_bit_identical_to_nodarium(name):
    words = result(name, True)
    assert len(words) == CASES[name]["length"]
    assert hashlib.sha256(words.tobytes()).hexdigest() == CASES[name]["sha256"]


def shape(items) -> list[tuple]:
    return [(item.kind, *(int(w) for w in item.body[1:3])) if item.kind != PATH else (PATH, len(item.body))
            for item in items]


@pytest.mark.parametrize("name", CASES)
def test_default_mode_differs_only_where_a_listed_fix_applies(name):
    fixes = set(CASES[name]["fixes"])
    mine, theirs = split_items(result(name, False)), split_items(repair_geometry_counts(upstream(name)))
    if "branch_parallel_to_y" in fixes and len(mine) != len(theirs):
        # Nodarium dropped the branches whose tangent is vertical; ndg grows every one.
        assert len(mine) > len(theirs)
        return
    assert shape(mine) == shape(theirs)
    for a, b in zip(mine, theirs):
        if a.kind == GEOMETRY:  # a tube: the same triangles (faces), whatever the rings' shapes
            faces = 3 + 3 * int(a.body[2])
            assert (a.body[3:faces] == b.body[3:faces]).all()
        elif not fixes & PATH_FIXES and (a.kind == PATH or (a.kind == INSTANCES and "box_zero_normals" not in fixes)):
            assert (a.words == b.words).all()


def test_import_with_compat_runs_in_compatibility_mode():
    imported = import_graph(CASES["gravity_0.38_1"]["graph"], library(), "gravity.json", compat=True)
    assert "    ndg.compat: true," in imported.text.splitlines()
    assert compile_text(imported.text, "gravity.ndg").plan.compat
    assert not compiled("gravity_0.38_1").plan.compat


def test_import_warns_when_the_result_depends_on_the_run_seed():
    warnings = import_graph(CASES["default_template_0"]["graph"], library(), "default.json").warnings
    assert any("depends on the run's seed" in w and "--seed N" in w and "seed: N" in w for w in warnings)
    assert not import_graph(CASES["stem_default"]["graph"], library(), "stem.json").warnings

