"""Decode a result's words into meshes, instance blocks and paths, with numpy only.

Every array is a view or one vectorised operation over the item's words; nothing loops per vertex.
Positions follow Nodarium's viewer (three.js): y is up.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from ndg.runtime.format import GEOMETRY, INSTANCES, PATH, FormatError, Item, split_items


@dataclass(frozen=True)
class Mesh:
    positions: np.ndarray  # (V, 3) float32
    normals: np.ndarray  # (V, 3) float32
    faces: np.ndarray  # (F, 3) int32, indices into positions

    @classmethod
    def empty(cls) -> Mesh:
        return cls(np.zeros((0, 3), np.float32), np.zeros((0, 3), np.float32), np.zeros((0, 3), np.int32))


@dataclass(frozen=True)
class Instances:
    """One mesh placed by each of `matrices` (I, 4, 4), stored row-major here (x' = M @ [x, y, z, 1])."""
    mesh: Mesh
    matrices: np.ndarray
    depth: int

    def expanded(self) -> Mesh:
        """Every placement written out as its own copy of the mesh."""
        count, vertices = len(self.matrices), len(self.mesh.positions)
        linear, offset = self.matrices[:, :3, :3], self.matrices[:, :3, 3]
        positions = self.mesh.positions[None] @ linear.transpose(0, 2, 1) + offset[:, None, :]
        normals = _unit(self.mesh.normals[None] @ _normal_matrices(linear).transpose(0, 2, 1))
        faces = self.mesh.faces[None, :, :] + (np.arange(count, dtype=np.int32) * vertices)[:, None, None]
        return Mesh(positions.reshape(-1, 3).astype(np.float32), normals.reshape(-1, 3).astype(np.float32),
                    faces.reshape(-1, 3).astype(np.int32))


def _normal_matrices(linear: np.ndarray) -> np.ndarray:
    """What normals transform by: the inverse transpose, so scaled or sheared instances keep them
    perpendicular. Computed as the cofactor matrix (det × inverse transpose) signed by the
    determinant, which needs no inversion and stays defined for flattened (singular) instances."""
    c0, c1, c2 = linear[:, :, 0], linear[:, :, 1], linear[:, :, 2]
    cofactor = np.stack([np.cross(c1, c2), np.cross(c2, c0), np.cross(c0, c1)], axis=2)
    determinant = np.einsum("ij,ij->i", c0, np.cross(c1, c2))
    return cofactor * np.where(determinant < 0, -1.0, 1.0)[:, None, None]


@dataclass(frozen=True)
class Polyline:
    """A centre line: points (P, 3) and the thickness at each point."""
    points: np.ndarray
    thickness: np.ndarray
    depth: int


@dataclass(frozen=True)
class Shapes:
    """Everything a result draws, in the order its items came."""
    meshes: list[Mesh]
    instances: list[Instances]
    paths: list[Polyline]

    @cached_property
    def _merged(self) -> Mesh:
        return concatenate(self.meshes + [block.expanded() for block in self.instances])

    def merged(self) -> Mesh:
        """One mesh: the geometry items and every instance expanded (paths are lines, not surfaces).
        Worked out once; summaries, pictures and exports share it."""
        return self._merged

    def bounds(self) -> np.ndarray | None:
        """[[min x, y, z], [max x, y, z]] over every vertex and path point, or None when there are none."""
        points = np.concatenate([self.merged().positions] + [p.points for p in self.paths])
        if not len(points):
            return None
        return np.stack([points.min(axis=0), points.max(axis=0)])

    def counts(self) -> dict[str, int]:
        merged = self.merged()
        return {"geometry_items": len(self.meshes), "instance_blocks": len(self.instances),
                "instances": sum(len(b.matrices) for b in self.instances), "paths": len(self.paths),
                "path_points": sum(len(p.points) for p in self.paths),
                "vertices": len(merged.positions), "triangles": len(merged.faces)}


def concatenate(meshes: list[Mesh]) -> Mesh:
    if not meshes:
        return Mesh.empty()
    starts = np.cumsum([0] + [len(m.positions) for m in meshes[:-1]])
    return Mesh(np.concatenate([m.positions for m in meshes]), np.concatenate([m.normals for m in meshes]),
                np.concatenate([m.faces + start for m, start in zip(meshes, starts)]).astype(np.int32))


def decode(words: np.ndarray) -> Shapes:
    """The shapes in a result (or a single item); FormatError when the words break the format.
    Positions, normals and paths are views into `words`: copy the words first if they will change."""
    items = split_items(np.asarray(words, dtype="<i4"))
    return Shapes(meshes=[_mesh(i, i.body[1:], i.body[3:]) for i in items if i.kind == GEOMETRY],
                  instances=[_instances(i) for i in items if i.kind == INSTANCES],
                  paths=[_path(i) for i in items if i.kind == PATH])


# The largest coordinate a result may hold to be written or drawn: products of two (cross
# products for normals, instance matrices times positions) stay far below float32's 3.4e38.
MAX_COORDINATE = 1e18


def coordinates_problem(shapes: Shapes) -> str | None:
    """Why the shapes cannot be written as meshes or drawn (a coordinate that is not finite, or
    so large that computing with it overflows), or None."""
    arrays = [("a vertex position", m.positions) for m in shapes.meshes]
    arrays += [("a vertex normal", m.normals) for m in shapes.meshes]
    for block in shapes.instances:
        arrays += [("an instanced vertex position", block.mesh.positions), ("an instanced vertex normal", block.mesh.normals),
                   ("an instance matrix", block.matrices)]
    arrays += [("a path point", p.points) for p in shapes.paths] + [("a path thickness", p.thickness) for p in shapes.paths]
    for what, values in arrays:
        if values.size and not np.all(np.isfinite(values)):
            return f"{what} is not a finite number ({values[~np.isfinite(values)].flat[0]})"
        if values.size and what.endswith(("position", "matrix", "point")) and np.abs(values).max() > MAX_COORDINATE:
            return f"{what} is {np.abs(values).max():.3g} from the origin, beyond the ±{MAX_COORDINATE:.0e} ndg writes"
    return None


def _floats(words: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(words).view("<f4")


def _mesh(item: Item, header: np.ndarray, data: np.ndarray) -> Mesh:
    vertices, faces = int(header[0]), int(header[1])
    face_words = data[: 3 * faces]
    if faces and (face_words.min() < 0 or face_words.max() >= vertices):
        raise FormatError(f"a face of this {vertices}-vertex mesh points at a vertex it does not have", item.start)
    positions = _floats(data[3 * faces : 3 * faces + 3 * vertices]).reshape(vertices, 3)
    normals = _floats(data[3 * faces + 3 * vertices : 3 * faces + 6 * vertices]).reshape(vertices, 3)
    return Mesh(positions, normals, face_words.astype(np.int32).reshape(faces, 3))


def _instances(item: Item) -> Instances:
    body = item.body
    vertices, faces, count, depth = (int(v) for v in body[1:5])
    mesh = _mesh(item, body[1:3], body[5:])
    matrix_words = body[5 + 3 * faces + 6 * vertices :]
    # Stored column-major (as three.js reads them); transposing gives row-major matrices.
    matrices = _floats(matrix_words).reshape(count, 4, 4).transpose(0, 2, 1)
    return Instances(mesh, matrices, depth)


def _path(item: Item) -> Polyline:
    body = item.body
    points = _floats(body[2:]).reshape(-1, 4)
    return Polyline(points[:, :3], points[:, 3], int(body[1]))


def _unit(vectors: np.ndarray) -> np.ndarray:
    length = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return np.divide(vectors, length, out=np.zeros_like(vectors), where=length > 0)
