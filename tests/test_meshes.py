"""Decoding result words into meshes, instance blocks and paths."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from shapes_words import (
    QUARTER_TURN_Y,
    TRIANGLE,
    TRIANGLE_NORMALS,
    geometry_item,
    instances_item,
    path_item,
    result,
    scaling,
    translation,
)
from test_end_to_end import BOX_CORNERS, BOX_FACES, box_item

from ndg.runtime.format import FormatError
from ndg.runtime.meshes import decode


def test_box_decodes_to_its_corners_faces_and_bounds():
    shapes = decode(result(box_item(1.75)))
    [mesh] = shapes.meshes
    assert mesh.positions.tolist() == (np.array(BOX_CORNERS) * 1.75).tolist()
    assert mesh.faces.ravel().tolist() == BOX_FACES
    assert shapes.bounds().tolist() == [[-1.75] * 3, [1.75] * 3]
    assert shapes.counts() == {"geometry_items": 1, "instance_blocks": 0, "instances": 0, "paths": 0,
                               "path_points": 0, "vertices": 8, "triangles": 12}


def test_instances_expand_by_their_column_major_matrices():
    matrices = [translation(10, 0, 0), scaling(2, 3, 4), QUARTER_TURN_Y]
    shapes = decode(result(instances_item(TRIANGLE, [[0, 1, 2]], matrices, TRIANGLE_NORMALS, depth=3)))
    [block] = shapes.instances
    assert block.depth == 3
    assert block.matrices[0, :3, 3].tolist() == [10, 0, 0]
    mesh = block.expanded()
    assert mesh.positions.tolist() == [[10, 0, 0], [11, 0, 0], [10, 1, 0],
                                       [0, 0, 0], [2, 0, 0], [0, 3, 0],
                                       [0, 0, 0], [0, 0, -1], [0, 1, 0]]
    assert mesh.faces.tolist() == [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    assert np.allclose(mesh.normals, [[0, 0, 1]] * 6 + [[1, 0, 0]] * 3)
    assert shapes.bounds().tolist() == [[0, 0, -1], [11, 3, 0]]


def test_normals_stay_perpendicular_under_non_uniform_scale():
    # A triangle with normal (1, 1, 0)/√2 stretched 4× along x: transforming the normal by the
    # matrix itself would tilt it off the surface.
    positions = [[0, 0, 0], [1, -1, 0], [0, 0, 1]]
    normal = np.array([1, 1, 0]) / np.sqrt(2)
    shapes = decode(result(instances_item(positions, [[0, 1, 2]], [scaling(4, 1, 1)], [normal] * 3)))
    mesh = shapes.instances[0].expanded()
    edges = mesh.positions[1:] - mesh.positions[0]
    assert np.allclose(edges @ mesh.normals[0], 0, atol=1e-6)
    assert np.isclose(np.linalg.norm(mesh.normals[0]), 1)


def test_paths_are_centre_lines_with_thickness_and_depth():
    points = [[0, 0, 0, 0.5], [0, 1, 0, 0.4], [0.5, 2, 0, 0.1]]
    shapes = decode(result(path_item(points, depth=2), geometry_item(TRIANGLE, [[0, 1, 2]])))
    [path] = shapes.paths
    assert path.depth == 2
    assert path.points.tolist() == [p[:3] for p in points]
    assert np.allclose(path.thickness, [0.5, 0.4, 0.1])
    assert shapes.counts()["path_points"] == 3
    assert shapes.merged().faces.tolist() == [[0, 1, 2]]  # paths add no triangles
    assert shapes.bounds().tolist() == [[0, 0, 0], [1, 2, 0]]


def test_merged_mesh_offsets_faces_of_each_part():
    shapes = decode(result(geometry_item(TRIANGLE, [[0, 1, 2]]), box_item(1),
                           instances_item(TRIANGLE, [[2, 1, 0]], [translation(0, 0, 5)] * 2)))
    merged = shapes.merged()
    assert len(merged.positions) == 3 + 8 + 6
    assert merged.faces[:1].tolist() == [[0, 1, 2]]
    assert merged.faces[1:13].ravel().tolist() == [f + 3 for f in BOX_FACES]
    assert merged.faces[13:].tolist() == [[13, 12, 11], [16, 15, 14]]


def test_a_face_pointing_past_the_vertices_is_a_format_error():
    with pytest.raises(FormatError, match="points at a vertex it does not have"):
        decode(result(geometry_item(TRIANGLE, [[0, 1, 3]])))


def test_an_empty_result_has_no_bounds():
    shapes = decode(result())
    assert shapes.bounds() is None
    assert len(shapes.merged().faces) == 0


finite = st.floats(-100, 100, width=32)


@settings(max_examples=50, deadline=None)
@given(positions=arrays(np.float32, st.tuples(st.integers(3, 8), st.just(3)), elements=finite),
       matrices=arrays(np.float32, st.tuples(st.integers(1, 5), st.just(3), st.just(4)), elements=finite),
       data=st.data())
def test_expansion_places_each_copy_by_its_own_matrix(positions, matrices, data):
    faces = data.draw(arrays(np.int32, (4, 3), elements=st.integers(0, len(positions) - 1)))
    full = np.concatenate([matrices, np.broadcast_to([[[0, 0, 0, 1]]], (len(matrices), 1, 4))], axis=1)
    mesh = decode(result(instances_item(positions, faces, full))).instances[0].expanded()
    homogeneous = np.concatenate([positions, np.ones((len(positions), 1))], axis=1).astype(np.float64)
    for index, matrix in enumerate(full.astype(np.float64)):
        copy = slice(index * len(positions), (index + 1) * len(positions))
        assert np.allclose(mesh.positions[copy], (homogeneous @ matrix.T)[:, :3], rtol=1e-5, atol=1e-2)
        assert mesh.faces[index * 4 : (index + 1) * 4].tolist() == (faces + index * len(positions)).tolist()


@settings(max_examples=50, deadline=None)
@given(positions=arrays(np.float32, st.tuples(st.integers(1, 10), st.just(3)), elements=finite), data=st.data())
def test_geometry_items_decode_to_exactly_what_was_encoded(positions, data):
    normals = data.draw(arrays(np.float32, positions.shape, elements=finite))
    faces = data.draw(arrays(np.int32, st.tuples(st.integers(0, 6), st.just(3)),
                             elements=st.integers(0, len(positions) - 1)))
    [mesh] = decode(result(geometry_item(positions, faces, normals))).meshes
    assert mesh.positions.tobytes() == positions.tobytes()
    assert mesh.normals.tobytes() == normals.tobytes()
    assert mesh.faces.tolist() == faces.tolist()


def test_mirrored_and_flattened_instances_keep_sensible_normals():
    normals = [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    shapes = decode(result(instances_item(TRIANGLE, [[0, 1, 2]], [scaling(-1, 1, 1), scaling(1, 1, 0)], normals)))
    mesh = shapes.instances[0].expanded()
    assert np.allclose(mesh.normals[:3], [[-1, 0, 0], [0, 0, 1], [0, 1, 0]])  # mirrored in x
    # Flattened in z, every surface lies in the xy plane: a z normal stays, a y normal (whose surface
    # collapsed to a line) has no direction left and becomes zero rather than NaN.
    assert mesh.normals[3:].tolist() == [[0, 0, 0], [0, 0, 1], [0, 0, 0]]
