"""Build result words by hand (geometry, instance and path items) for decoder and exporter tests."""

from __future__ import annotations

import numpy as np


def _f32_words(values) -> list[int]:
    return np.asarray(values, dtype="<f4").ravel().view("<i4").tolist()


def _wrap(body: list[int]) -> list[int]:
    return [0, len(body) + 1, *body, 1, 1]


def geometry_item(positions, faces, normals=None) -> list[int]:
    positions = np.asarray(positions, np.float32)
    normals = np.zeros_like(positions) if normals is None else np.asarray(normals, np.float32)
    faces = np.asarray(faces, np.int32)
    return _wrap([1, len(positions), len(faces), *faces.ravel().tolist(), *_f32_words(positions), *_f32_words(normals)])


def instances_item(positions, faces, matrices, normals=None, depth=1) -> list[int]:
    """`matrices` row-major (I, 4, 4); written column-major as the format stores them."""
    positions = np.asarray(positions, np.float32)
    normals = np.zeros_like(positions) if normals is None else np.asarray(normals, np.float32)
    faces = np.asarray(faces, np.int32)
    matrices = np.asarray(matrices, np.float32)
    return _wrap([2, len(positions), len(faces), len(matrices), depth, *faces.ravel().tolist(),
                  *_f32_words(positions), *_f32_words(normals), *_f32_words(matrices.transpose(0, 2, 1))])


def path_item(points, depth=1) -> list[int]:
    """`points` (P, 4): x, y, z, thickness."""
    return _wrap([0, depth, *_f32_words(points)])


def result(*items: list[int]) -> np.ndarray:
    return np.array([0, 1, *(w for item in items for w in item), 1, 1], dtype="<i4")


def translation(x, y, z) -> np.ndarray:
    matrix = np.eye(4, dtype=np.float32)
    matrix[:3, 3] = (x, y, z)
    return matrix


def scaling(x, y, z) -> np.ndarray:
    return np.diag([x, y, z, 1]).astype(np.float32)


TRIANGLE = [[0, 0, 0], [1, 0, 0], [0, 1, 0]]
TRIANGLE_NORMALS = [[0, 0, 1]] * 3
# A quarter turn about y: x → -z, z → x.
QUARTER_TURN_Y = np.array([[0, 0, 1, 0], [0, 1, 0, 0], [-1, 0, 0, 0], [0, 0, 0, 1]], np.float32)


def matrices_of(split) -> np.ndarray:
    """Row-major matrices from ndg.gltf.placements' translation, rotation (x, y, z, w) and scale."""
    x, y, z, w = split.rotation.T.astype(np.float64)
    rotation = np.stack([np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], 1),
                         np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], 1),
                         np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], 1)], 1)
    matrices = np.tile(np.eye(4), (len(split.translation), 1, 1))
    matrices[:, :3, :3] = rotation * split.scale[:, None, :]
    matrices[:, :3, 3] = split.translation
    return matrices.astype(np.float32)
