"""The differential corpus: Nodarium graphs (JSON, as Nodarium saves them) run by real Nodarium
(tests/fixtures/nodarium_corpus.json.gz, made by scripts/nodarium_corpus.py with the oracle) and
by ndg after `ndg import`, at the same run seed.

Compatibility mode must give Nodarium's words bit for bit in every case. Default mode differs
only where a listed fix of an upstream bug applies: item, vertex and face counts are Nodarium's
everywhere (more items only where Nodarium drops branches), paths are Nodarium's wherever no fix
changes them, and every tube's faces are Nodarium's. Compatibility mode runs the nodes in
Nodarium's order, a node once per path that reaches the output (the node types Nodarium called,
in order, are in the fixture), and refuses the graphs on which Nodarium's order stops its run."""

import gzip
import hashlib
import json
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from ndg.compiler.definitions import NodeLibrary
from ndg.compiler.diagnostics import SourceErrors
from ndg.compiler.driver import check, compile_text
from ndg.compiler.nodarium.interchange import export_graph, import_graph
from ndg.runtime.engine import Runner
from ndg.runtime.format import (
    GEOMETRY,
    INSTANCES,
    PATH,
    FormatError,
    repair_geometry_counts,
    split_items,
)

CASES = json.loads(gzip.decompress((Path(__file__).parent / "fixtures" / "nodarium_corpus.json.gz").read_bytes()))
# The cases Nodarium runs to the end, and those on which its run stops.
RUN = [name for name, case in CASES.items() if "fails" not in case]
FAILING = [name for name, case in CASES.items() if "fails" in case]
# Fixes that move or drop path points; without them, default mode's paths are Nodarium's.
PATH_FIXES = {"gravity_late", "branch_parallel_to_y", "branch_depth_tag"}


@cache
def library() -> NodeLibrary:
    return NodeLibrary.load(())


def imported(name: str, compat: bool) -> str:
    return import_graph(CASES[name]["graph"], library(), f"{name}.json", compat=compat).text


@cache
def compiled(name: str, compat: bool = False):
    return compile_text(imported(name, compat), f"{name}.ndg")


@cache
def result(name: str, compat: bool) -> np.ndarray:
    plan = compiled(name, compat).plan
    with Runner(plan, compiled(name, compat).module.wasm) as runner:
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
    assert len(FAILING) >= 2 and sum(name.startswith("generated_dag_") for name in CASES) >= 12


@pytest.mark.parametrize("name", RUN)
def test_compatibility_mode_runs_the_nodes_as_nodarium_does(name):
    graph = check(imported(name, True), f"{name}.ndg", library())
    assert [graph.nodes[node].definition.short_name for node in graph.runs] == CASES[name]["calls"]


def test_nodarium_runs_shared_nodes_once_per_path():
    runs = {name: check(imported(name, True), f"{name}.ndg", library()).runs for name in RUN}
    assert runs["default_template_0"][:2] == ("random", "random")  # Nodarium's random #17 runs twice
    assert runs["run_order_scalar_reached_3_times"].count("math") == 3
    assert runs["run_order_random_reached_4_times"].count("random") == 4
    assert sum(len(r) > len(set(r)) for name, r in runs.items() if name.startswith("generated_dag_")) >= 10
    # Default mode's topological order (ties broken by the file's order) runs the box before the
    # stems; Nodarium runs it at its depth, after them.
    assert runs["run_order_box_written_first"] == ("stem", "random", "noise", "box", "branch", "instance", "output")
    default = check(imported("run_order_box_written_first", False), "box.ndg", library())
    assert default.runs is None
    assert list(default.nodes) == ["random", "box", "stem", "noise", "branch", "instance", "output"]


@pytest.mark.parametrize("name", FAILING)
def test_compatibility_mode_refuses_where_nodarium_stops(name):
    assert "is missing input from node" in CASES[name]["fails"]
    with pytest.raises(SourceErrors) as refused:
        check(imported(name, True), f"{name}.ndg", library())
    [diagnostic] = refused.value.diagnostics
    assert diagnostic.code == "E405" and "Nodarium stops with \"missing input\"" in diagnostic.message
    assert "leave compatibility mode" in diagnostic.hint
    assert check(imported(name, False), f"{name}.ndg", library()).runs is None  # default mode runs it


@pytest.mark.toolchain
@pytest.mark.parametrize("name", RUN)
def test_compatibility_mode_is_bit_identical_to_nodarium(name):
    words = result(name, True)
    assert len(words) == CASES[name]["length"]
    assert hashlib.sha256(words.tobytes()).hexdigest() == CASES[name]["sha256"]


def shape(items) -> list[tuple]:
    return [(item.kind, *(int(w) for w in item.body[1:3])) if item.kind != PATH else (PATH, len(item.body))
            for item in items]


@pytest.mark.toolchain
@pytest.mark.parametrize("name", RUN)
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


@pytest.mark.toolchain
def test_import_with_compat_runs_in_compatibility_mode():
    imported = import_graph(CASES["gravity_0.38_1"]["graph"], library(), "gravity.json", compat=True)
    assert "    ndg.compat: true," in imported.text.splitlines()
    assert compile_text(imported.text, "gravity.ndg").plan.compat
    assert not compiled("gravity_0.38_1").plan.compat


def test_import_keeps_the_sign_of_a_negative_zero():
    graph = {"nodes": [{"id": 0, "type": "max/plantarium/stem", "props": {"origin": [-0.0, 0, 1], "length": -0.0}},
                       {"id": 1, "type": "max/plantarium/output", "props": {}}], "edges": [[0, 0, 1, "input"]]}
    assert "stem(origin: [-0.0, 0, 1], length: -0.0)" in import_graph(graph, library(), "zero.json").text


def test_import_warns_when_the_result_depends_on_the_run_seed():
    warnings = import_graph(CASES["default_template_0"]["graph"], library(), "default.json").warnings
    assert any("depends on the run's seed" in w and "--seed N" in w and "seed: N" in w for w in warnings)
    assert not import_graph(CASES["stem_default"]["graph"], library(), "stem.json").warnings



# Nodarium's own run (the oracle's js/run.mjs, seed 0) of examples/tree.ndg as `ndg export` writes
# it: 131,719 words. Its second branch node tags its twigs like the limbs (depth + 1 from the node's
# input), so the instance node puts leaves on limbs and twigs alike: 120, not 96. The size rules
# follow that in compatibility mode (branch's `compat_size`), or the leaves would overrun their slot.
TREE_UPSTREAM = (131_719, "0f06f4576682ab33d9af18850b4ec6d64408aa5ef1bc60890b3069a06d01683c")


def test_the_example_tree_exported_and_imported_in_compatibility_mode_is_nodariums_word_for_word():
    source = Path(__file__).parent.parent / "examples" / "tree.ndg"
    exported, _ = export_graph(check(source.read_text(), str(source), library()))
    compiled_tree = compile_text(import_graph(exported, library(), "tree.json", compat=True).text, "tree.ndg")
    with Runner(compiled_tree.plan, compiled_tree.module.wasm) as runner:
        words = runner.run()
        assert (len(words), hashlib.sha256(words.astype("<i4").tobytes()).hexdigest()) == TREE_UPSTREAM
        leaves = split_items(runner.node_value("instance"))
    assert [int(item.body[3]) for item in leaves if item.kind == INSTANCES] == [120]


def test_a_compatibility_result_is_saved_raw_as_nodarium_wrote_it_and_as_meshes_with_its_counts_set_right(tmp_path):
    import trimesh

    import ndg
    from ndg.sweep_variants import file_bytes

    program = ndg.compile_string(imported("default_template_0", True), "template.ndg")
    result = program.run()
    result.save(tmp_path / "raw.bin")
    assert (tmp_path / "raw.bin").read_bytes() == result.words.tobytes()
    with pytest.raises(FormatError, match="not closed"):
        split_items(result.words)  # Nodarium's tube counts, one too high
    result.save(tmp_path / "plant.glb")
    assert file_bytes(result, "plant.glb") == (tmp_path / "plant.glb").read_bytes()  # what a sweep writes
    tubes = [item for item in split_items(repair_geometry_counts(result.words)) if item.kind == GEOMETRY]
    scene = trimesh.load(tmp_path / "plant.glb")
    faces = sum(len(mesh.faces) for mesh in scene.geometry.values() if isinstance(mesh, trimesh.Trimesh))
    assert faces == sum(int(tube.body[2]) for tube in tubes) > 0
