"""Exported files, read back with trimesh, hold what the decoded result holds."""

import json
from pathlib import Path

import numpy as np
import pytest
import trimesh
from click.testing import CliRunner
from conftest import EXAMPLES
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from shapes_words import (
    QUARTER_TURN_Y,
    TRIANGLE,
    TRIANGLE_NORMALS,
    geometry_item,
    instances_item,
    matrices_of,
    path_item,
    result,
    translation,
)
from test_end_to_end import box_item
from test_gltf import DEGENERATE

import ndg
from ndg.cli import main
from ndg.errors import UserError
from ndg.export import FORMATS, MESH_FORMATS, SCENE_FORMATS, USD_FORMATS, save
from ndg.gltf import placements
from ndg.runtime.meshes import Instances, concatenate, decode

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.ndg"))


def saved(words, path: Path, **options) -> list[str]:
    """Save; glTF with one node per instance, which is what trimesh reads."""
    if path.suffix in SCENE_FORMATS:
        options.setdefault("gltf_instancing", "nodes")
    return save(words, path, **options)


def reloaded_meshes(path: Path) -> trimesh.Trimesh:
    """The file's triangles, every placement applied, as one mesh (vertices kept as written)."""
    scene = trimesh.load(path, process=False, force="scene")
    meshes = [g for g in scene.dump() if isinstance(g, trimesh.Trimesh)]
    return trimesh.util.concatenate(meshes)


def assert_same_mesh(path: Path, words: np.ndarray):
    if path.suffix in USD_FORMATS:
        return assert_same_usd(path, words)
    expected = decode(words).merged()
    if path.suffix in SCENE_FORMATS:  # glTF leaves out placements that flatten the mesh away
        expected = scene_mesh(decode(words))
    mesh = reloaded_meshes(path)
    assert len(mesh.faces) == len(expected.faces)
    # STL stores each triangle's corners separately; every other format keeps shared vertices.
    assert len(mesh.vertices) == (3 * len(expected.faces) if path.suffix == ".stl" else len(expected.positions))
    assert np.allclose(mesh.bounds, [expected.positions.min(axis=0), expected.positions.max(axis=0)], atol=1e-5)


def scene_mesh(shapes):
    kept = [Instances(b.mesh, matrices_of(placements(b.matrices)), b.depth) for b in shapes.instances]
    return concatenate(shapes.meshes + [block.expanded() for block in kept])


def assert_same_usd(path: Path, words: np.ndarray):
    """Every mesh's points and faces as decoded; every instancer's placements rebuild the matrices."""
    from pxr import Usd, UsdGeom

    shapes = decode(words)
    stage = Usd.Stage.Open(str(path))
    assert UsdGeom.GetStageUpAxis(stage) == "Y"
    prims = list(stage.Traverse())
    top = [p for p in prims if p.IsA(UsdGeom.Mesh) and p.GetParent().GetPath() == "/ndg"]
    meshes = [UsdGeom.Mesh(p) for p in top if not p.GetName().endswith("_sheared")]
    # A shearing placement, which an instancer cannot hold, is written out as a mesh of its own.
    assert len(top) - len(meshes) == sum(len(placements(b.matrices).sheared) > 0 for b in shapes.instances)
    instancers = [UsdGeom.PointInstancer(p) for p in prims if p.IsA(UsdGeom.PointInstancer)]
    curves = [UsdGeom.BasisCurves(p) for p in prims if p.IsA(UsdGeom.BasisCurves)]
    drawn = [m for m in shapes.meshes if len(m.faces)]
    assert len(meshes) == len(drawn) and len(curves) == sum(len(p.points) >= 2 for p in shapes.paths)
    for prim, mesh in zip(meshes, drawn):
        assert np.array_equal(np.array(prim.GetPointsAttr().Get()), mesh.positions)
        assert np.array_equal(np.array(prim.GetFaceVertexIndicesAttr().Get()), mesh.faces.ravel())
    blocks = [b for b in shapes.instances if len(b.mesh.faces) and len(placements(b.matrices).translation)]
    assert len(instancers) == len(blocks)
    for instancer, block in zip(instancers, blocks):
        split = placements(block.matrices)
        # USD's matrices act on row vectors: the transposes of ndg's.
        placed = instancer.ComputeInstanceTransformsAtTime(Usd.TimeCode.Default(), Usd.TimeCode.Default())
        assert np.allclose(np.array([np.array(m).T for m in placed]), matrices_of(split), atol=1e-5)
        prototype = UsdGeom.Mesh(stage.GetPrimAtPath(instancer.GetPrototypesRel().GetTargets()[0]))
        assert np.array_equal(np.array(prototype.GetPointsAttr().Get()), block.mesh.positions)


def assert_same_words(path: Path, words: np.ndarray):
    if path.suffix == ".bin":
        assert np.frombuffer(path.read_bytes(), "<i4").tolist() == words.tolist()
    else:
        assert json.loads(path.read_text()) == words.tolist()


MIXED = result(
    geometry_item(TRIANGLE, [[0, 1, 2]], TRIANGLE_NORMALS),
    path_item([[0, 0, 0, 0.3], [0, 2, 0, 0.2], [1, 3, 0, 0.1]], depth=1),
    box_item(0.5),
    instances_item(TRIANGLE, [[0, 1, 2]], [translation(4, 0, 0), QUARTER_TURN_Y, translation(0, 0, -2)],
                   TRIANGLE_NORMALS, depth=2),
)


@pytest.mark.parametrize("suffix", FORMATS)
def test_hand_built_result_with_every_kind_of_item_round_trips(tmp_path, suffix):
    path = tmp_path / f"mixed{suffix}"
    notes = saved(MIXED, path)
    if suffix in (".bin", ".json"):
        assert_same_words(path, MIXED)
        return
    assert_same_mesh(path, MIXED)
    assert notes == ([] if suffix in SCENE_FORMATS + USD_FORMATS else
                     [f"{suffix} has no lines: 1 path(s) left out (.glb, .gltf and USD keep them)"])


def test_glb_keeps_instances_as_placements_of_one_mesh_and_paths_as_lines(tmp_path):
    saved(MIXED, tmp_path / "mixed.glb")
    scene = trimesh.load(tmp_path / "mixed.glb", process=False, force="scene")
    meshes = {name: g for name, g in scene.geometry.items() if isinstance(g, trimesh.Trimesh)}
    lines = [g for g in scene.geometry.values() if isinstance(g, trimesh.path.Path3D)]
    assert sorted(len(m.faces) for m in meshes.values()) == [1, 1, 12]  # the instance mesh is stored once
    placements = [node for node in scene.graph.nodes_geometry if scene.graph[node][1] in meshes]
    assert len(placements) == 2 + 3
    # glTF stores the line as segments, so inner points appear once per segment.
    assert len(lines) == 1 and np.unique(lines[0].vertices, axis=0).tolist() == [[0, 0, 0], [0, 2, 0], [1, 3, 0]]


@pytest.fixture(scope="module")
def example_results():
    return {}


@pytest.mark.toolchain
@pytest.mark.parametrize("suffix", FORMATS)
@pytest.mark.parametrize("example", EXAMPLE_FILES, ids=lambda p: p.name)
def test_every_example_exports_to_every_format(tmp_path, example_results, example, suffix):
    if example not in example_results:
        example_results[example] = ndg.compile(example).run()
    run = example_results[example]
    path = tmp_path / f"{example.stem}{suffix}"
    run.save(path, gltf_instancing="nodes")
    if suffix in MESH_FORMATS + SCENE_FORMATS + USD_FORMATS:
        assert_same_mesh(path, run.words)
    else:
        assert_same_words(path, run.words)


@pytest.mark.toolchain
def test_run_command_writes_several_formats_and_reports_them(tmp_path):
    outputs = [tmp_path / "box.glb", tmp_path / "box.obj", tmp_path / "box.bin"]
    args = ["run", str(EXAMPLES / "basics.ndg"), *(a for o in outputs for a in ("-o", str(o)))]
    cli = CliRunner().invoke(main, args)
    assert cli.exit_code == 0, cli.output
    for output in outputs:
        assert output.exists() and f"wrote {output}" in cli.output
    words = np.frombuffer(outputs[2].read_bytes(), "<i4")
    assert_same_mesh(outputs[0], words)
    assert_same_mesh(outputs[1], words)


@pytest.mark.parametrize("name, message", [
    ("box.xyz", "unknown format `.xyz`"),
    ("missing/box.glb", "there is no folder"),
])
def test_bad_output_names_are_user_errors(tmp_path, name, message):
    cli = CliRunner().invoke(main, ["run", str(EXAMPLES / "basics.ndg"), "-o", str(tmp_path / name)])
    assert cli.exit_code == 2
    assert message in cli.output


def test_a_result_without_triangles_cannot_become_a_mesh_file(tmp_path):
    only_path = result(path_item([[0, 0, 0, 1], [0, 1, 0, 1]]))
    with pytest.raises(UserError, match="holds triangles, and the result has none"):
        save(only_path, tmp_path / "line.stl")
    save(only_path, tmp_path / "line.glb")  # glTF can hold the line
    assert len(trimesh.load(tmp_path / "line.glb", force="scene").geometry) == 1


def test_words_that_break_the_format_are_reported_not_exported(tmp_path):
    with pytest.raises(UserError, match="not a valid item list"):
        save(np.array([0, 1, 0, 9, 1, 1], "<i4"), tmp_path / "bad.obj")


@pytest.mark.parametrize("suffix", SCENE_FORMATS + MESH_FORMATS)
def test_empty_items_and_instance_blocks_without_instances_add_nothing(tmp_path, suffix):
    words = result(geometry_item(np.zeros((0, 3)), np.zeros((0, 3))), box_item(1),
                   instances_item(TRIANGLE, [[0, 1, 2]], np.zeros((0, 4, 4))))
    saved(words, tmp_path / f"sparse{suffix}")
    mesh = reloaded_meshes(tmp_path / f"sparse{suffix}")
    assert len(mesh.faces) == 12 and mesh.bounds.tolist() == [[-1, -1, -1], [1, 1, 1]]


@pytest.mark.parametrize("suffix", USD_FORMATS)
@pytest.mark.parametrize("name", sorted(DEGENERATE))
def test_usd_holds_the_degenerate_cases(tmp_path, name, suffix):
    path = tmp_path / f"{name}{suffix}"
    assert save(DEGENERATE[name], path) == []
    assert_same_usd(path, DEGENERATE[name])


@settings(max_examples=60, deadline=None)
@given(positions=arrays(np.float32, st.tuples(st.integers(3, 40), st.just(3)),
                        elements=st.floats(-1e6, 1e6, width=32)),
       seed=st.integers(0, 99))
def test_obj_text_holds_every_number_to_its_last_decimal(positions, seed):
    from ndg import mesh_files
    from ndg.runtime.meshes import Mesh

    rng = np.random.default_rng(seed)
    faces = rng.integers(0, len(positions), (7, 3)).astype(np.int32)
    normals = rng.uniform(-1, 1, positions.shape).astype(np.float32)
    lines = mesh_files.obj(Mesh(positions, normals, faces)).decode().splitlines()
    v = np.array([[float(x) for x in line.split()[1:]] for line in lines if line.startswith("v ")])
    vn = np.array([[float(x) for x in line.split()[1:]] for line in lines if line.startswith("vn ")])
    f = [[int(corner.split("//")[0]) - 1 for corner in line.split()[1:]] for line in lines if line.startswith("f ")]
    assert np.abs(v - positions.astype(np.float64)).max() <= 5.01e-8
    assert np.abs(vn - normals).max() <= 5.01e-5
    assert f == faces.tolist()
