"""glTF that other tools accept: Khronos' validator finds nothing, three.js sees the bounds ndg sees,
pygltflib and trimesh read back the very vertex data, names come from the graph."""

from __future__ import annotations

import random
from importlib.metadata import version

import numpy as np
import pygltflib
import pytest
import trimesh
from conftest import EXAMPLES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from js_tools import three_js_scenes, validate
from plant_graphs import plant_graph
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

import ndg
from ndg.export import save
from ndg.gltf import placements
from ndg.runtime.meshes import decode

EXAMPLE_FILES = sorted(EXAMPLES.glob("*.ndg"))
MODES = ("extension", "nodes")


def scaled(matrix: np.ndarray, *scale: float) -> np.ndarray:
    out = np.array(matrix, np.float32)
    out[:3, :3] = out[:3, :3] @ np.diag(scale)
    return out


SHEAR = np.eye(4, dtype=np.float32)
SHEAR[0, 1] = 0.5
LEAF_TIPS = [scaled(translation(0, 0.5, 0), 0, 0, 0), scaled(translation(1, 0, 0), 0, 0, 0)]  # at a twig's tip
DEGENERATE = {
    "zero_scale": result(box_item(1), instances_item(TRIANGLE, [[0, 1, 2]], LEAF_TIPS + [translation(0, 0, 0.5)],
                                                     TRIANGLE_NORMALS)),
    "only_zero_scale": result(box_item(1), instances_item(TRIANGLE, [[0, 1, 2]], LEAF_TIPS, TRIANGLE_NORMALS)),
    "flattened_one_axis": result(instances_item(TRIANGLE, [[0, 1, 2]], [scaled(translation(2, 0, 0), 1, 1, 0)],
                                                TRIANGLE_NORMALS)),
    "mirrored": result(instances_item(TRIANGLE, [[0, 1, 2]], [scaled(translation(3, 0, 0), -1, 1, 1),
                                                              scaled(QUARTER_TURN_Y, 1, -2, 1)], TRIANGLE_NORMALS)),
    "sheared": result(box_item(0.5), instances_item(TRIANGLE, [[0, 1, 2]], [SHEAR, translation(1, 1, 1)],
                                                    TRIANGLE_NORMALS)),
    "empty": result(),
    "empty_items": result(geometry_item(np.zeros((0, 3)), np.zeros((0, 3))),
                          instances_item(TRIANGLE, [[0, 1, 2]], np.zeros((0, 4, 4)))),
    "paths_only": result(path_item([[0, 0, 0, 0.3], [0, 2, 0, 0.2], [1, 3, 0, 0.1]]),
                         path_item([[1, 0, 0, 0.1], [1, 1, 1, 0.0]])),
    "odd_normals": result(geometry_item(TRIANGLE, [[0, 1, 2]], [[0, 0, 0], [0, 0, 5], [1e-30, 0, 0]])),
    "unused_vertices": result(geometry_item([[0, 0, 0], [1, 0, 0], [0, 1, 0], [9, 9, 9]], [[0, 1, 2]])),
}


@pytest.fixture(scope="module")
def example_words():
    return {path.stem: ndg.compile(path).run() for path in EXAMPLE_FILES}


@pytest.fixture(scope="module")
def written(example_words, tmp_path_factory):
    """Every example and degenerate case as .glb and .gltf in both instancing modes, with the
    validator's report and three.js's view of each (one Node run each for all of them)."""
    folder = tmp_path_factory.mktemp("gltf")
    files = {}
    for name, run in example_words.items():
        for mode in MODES:
            for suffix in (".glb", ".gltf"):
                files[(name, mode, suffix)] = folder / f"{name}-{mode}{suffix}"
                run.save(files[(name, mode, suffix)], gltf_instancing=mode)
    for name, words in DEGENERATE.items():
        for mode in MODES:
            files[(name, mode, ".glb")] = folder / f"{name}-{mode}.glb"
            save(words, files[(name, mode, ".glb")], gltf_instancing=mode)
    paths = list(files.values())
    return files, validate(paths), three_js_scenes(paths)


def words_of(name, example_words):
    return example_words[name].words if name in example_words else DEGENERATE[name]


@pytest.mark.toolchain
@pytest.mark.parametrize("name", [p.stem for p in EXAMPLE_FILES] + list(DEGENERATE))
def test_the_validator_finds_no_error_and_no_warning(written, name):
    files, reports, _ = written
    for key, path in files.items():
        if key[0] == name:
            report = reports[str(path)]
            assert (report["errors"], report["warnings"]) == (0, 0), report["messages"]


@pytest.mark.toolchain
@pytest.mark.parametrize("name", [p.stem for p in EXAMPLE_FILES] + list(DEGENERATE))
def test_three_js_sees_the_bounds_ndg_computes(written, example_words, name):
    files, _, scenes = written
    bounds = decode(words_of(name, example_words)).bounds()
    if name == "unused_vertices":  # no triangle uses (9, 9, 9), so no viewer draws it
        bounds = [[0, 0, 0], [1, 1, 0]]
    for key, path in files.items():
        if key[0] == name:
            scene = scenes[str(path)]
            if bounds is None:
                assert scene["empty"]
            else:
                assert np.allclose([scene["min"], scene["max"]], bounds, rtol=1e-5, atol=1e-5), key


@pytest.mark.toolchain
def test_zero_scale_instances_are_drawn_by_no_one(written):
    files, _, scenes = written
    extension = scenes[str(files[("zero_scale", "extension", ".glb")])]
    assert extension["counts"]["instances"] == 1  # of three: the two at scale 0 are left out
    nodes = scenes[str(files[("zero_scale", "nodes", ".glb")])]
    assert nodes["counts"]["meshes"] == 1 + 1
    assert scenes[str(files[("only_zero_scale", "extension", ".glb")])]["counts"] == {
        "meshes": 1, "instancedMeshes": 0, "instances": 0, "lines": 0, "triangles": 12}


@pytest.mark.toolchain
def test_tree_instances_are_gpu_instances_named_after_their_nodes(written, example_words):
    files, _, scenes = written
    scene = scenes[str(files[("tree", "extension", ".glb")])]
    shapes = example_words["tree"].shapes
    kept = len(placements(shapes.instances[0].matrices).translation)
    assert 0 < kept <= len(shapes.instances[0].matrices)  # zero-scale ones left out (zero_scale covers them)
    assert scene["counts"]["instancedMeshes"] == 1 and scene["counts"]["instances"] == kept
    assert "leaves" in scene["names"] and "swaying_tube" in scene["names"] and "swaying" in scene["names"]


def gltf_arrays(path):
    """Per mesh name: (positions, normals, indices) for triangles, or positions for lines."""
    gltf = pygltflib.GLTF2().load(str(path))
    blob = gltf.binary_blob() if path.suffix == ".glb" else gltf.get_data_from_buffer_uri(gltf.buffers[0].uri)

    def read(index):
        accessor = gltf.accessors[index]
        view = gltf.bufferViews[accessor.bufferView]
        dtype = {5126: "<f4", 5125: "<u4", 5123: "<u2"}[accessor.componentType]
        width = {"SCALAR": 1, "VEC3": 3, "VEC4": 4}[accessor.type]
        data = np.frombuffer(blob, dtype, accessor.count * width, view.byteOffset + (accessor.byteOffset or 0))
        return data.reshape(accessor.count, width) if width > 1 else data

    meshes = {}
    for mesh in gltf.meshes:
        primitive = mesh.primitives[0]
        positions = read(primitive.attributes.POSITION)
        if primitive.mode == 4:
            meshes[mesh.name] = (positions, read(primitive.attributes.NORMAL), read(primitive.indices).reshape(-1, 3))
        else:
            meshes[mesh.name] = positions
    return gltf, meshes


@pytest.mark.toolchain
@pytest.mark.parametrize("suffix", [".glb", ".gltf"])
@pytest.mark.parametrize("name", [p.stem for p in EXAMPLE_FILES])
def test_pygltflib_reads_back_the_very_vertex_data(written, example_words, name, suffix):
    files, _, _ = written
    run = example_words[name]
    gltf, meshes = gltf_arrays(files[(name, "extension", suffix)])
    assert gltf.asset.generator == f"ndg {version('ndg')}"
    shapes = run.shapes
    names = run.names
    for mesh, mesh_name in zip(shapes.meshes, names["geometry"]):
        positions, normals, faces = meshes[mesh_name]
        assert np.array_equal(positions, mesh.positions) and np.array_equal(faces, mesh.faces)
        assert np.allclose(normals, mesh.normals / np.linalg.norm(mesh.normals, axis=1, keepdims=True), atol=1e-6)
    for block, block_name in zip(shapes.instances, names["instances"]):
        positions, _, faces = meshes[block_name]
        assert np.array_equal(positions, block.mesh.positions) and np.array_equal(faces, block.mesh.faces)
    for path, path_name in zip(shapes.paths, names["paths"]):
        assert np.array_equal(meshes[path_name], path.points)
    for view in gltf.bufferViews:
        assert view.target in (34962, 34963, None)
    used_by_vertices = {a for m in gltf.meshes for p in m.primitives for a in vars(p.attributes).values()
                        if isinstance(a, int)} | {p.indices for m in gltf.meshes for p in m.primitives if p.indices is not None}
    for index in used_by_vertices:
        assert gltf.bufferViews[gltf.accessors[index].bufferView].target in (34962, 34963)


@pytest.mark.toolchain
@pytest.mark.parametrize("name", [p.stem for p in EXAMPLE_FILES])
def test_trimesh_reads_back_every_placement(written, example_words, name):
    files, _, _ = written
    scene = trimesh.load(files[(name, "nodes", ".glb")], process=False, force="scene")
    meshes = [g for g in scene.dump() if isinstance(g, trimesh.Trimesh)]
    shapes = example_words[name].shapes
    expected = [m for m in shapes.meshes if len(m.faces)]
    for block in shapes.instances:
        split = placements(block.matrices)
        expected += [block.mesh] * len(split.translation)
    assert sum(len(m.faces) for m in meshes) == sum(len(m.faces) for m in expected)
    merged = shapes.merged().positions
    got = trimesh.util.concatenate(meshes).bounds
    assert np.allclose(got, [merged.min(axis=0), merged.max(axis=0)], atol=1e-4)


@pytest.mark.toolchain
@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seeds=st.lists(st.integers(0, 10**6), min_size=4, max_size=6, unique=True))
def test_generated_plant_graphs_validate_clean_and_keep_their_bounds(tmp_path_factory, seeds):
    folder = tmp_path_factory.mktemp("plants")
    files, bounds = [], {}
    for seed in seeds:
        text = plant_graph(random.Random(seed), nodes=4, with_params=False)
        run = ndg.compile_string(text, f"plant{seed}.ndg").run()
        path = folder / f"plant{seed}.glb"
        run.save(path)
        files.append(path)
        bounds[str(path)] = run.shapes.bounds()
    reports, scenes = validate(files), three_js_scenes(files)
    for path in files:
        assert (reports[str(path)]["errors"], reports[str(path)]["warnings"]) == (0, 0), reports[str(path)]
        expected = bounds[str(path)]
        if expected is None:
            assert scenes[str(path)]["empty"]
        else:
            assert np.allclose([scenes[str(path)]["min"], scenes[str(path)]["max"]], expected, rtol=1e-5, atol=1e-5)


@settings(max_examples=200, deadline=None)
@given(angles=st.tuples(*[st.floats(-np.pi, np.pi)] * 3),
       scale=st.tuples(*[st.sampled_from([-2.0, -0.5, 0.25, 1.0, 3.0])] * 3),
       offset=st.tuples(*[st.floats(-100, 100)] * 3))
def test_placements_rebuild_every_rotation_scale_and_mirror(angles, scale, offset):
    a, b, c = angles
    rx = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    ry = np.array([[np.cos(b), 0, np.sin(b)], [0, 1, 0], [-np.sin(b), 0, np.cos(b)]])
    rz = np.array([[np.cos(c), -np.sin(c), 0], [np.sin(c), np.cos(c), 0], [0, 0, 1]])
    matrix = np.eye(4)
    matrix[:3, :3] = rx @ ry @ rz @ np.diag(scale)
    matrix[:3, 3] = offset
    split = placements(matrix[None])
    assert len(split.sheared) == 0
    assert abs(np.linalg.norm(split.rotation[0].astype(np.float64)) - 1) < 1e-6
    assert np.allclose(matrices_of(split)[0], matrix, atol=1e-4)
