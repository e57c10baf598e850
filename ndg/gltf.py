"""glTF 2.0 (.glb and .gltf) written straight from the decoded arrays, valid by Khronos' validator.

- Each geometry item is a mesh (positions, unit normals, indices) with a node of the same name.
- Each instance block is one mesh drawn by one node through `EXT_mesh_gpu_instancing` (translation,
  rotation, scale per instance; listed as required, so a viewer without it refuses the file rather
  than drawing one stray copy), or with `instancing="nodes"` by one child node per instance.
  glTF has only translation-rotation-scale placements: an instance whose matrix shears is written
  out as its own mesh, and one that flattens the mesh to a line or a point (scale 0, as leaves at a
  twig's tip get) is left out, since it draws nothing.
- Each path is a line (as segments, which more readers take than strips).
Names come from the graph's nodes (see ndg.item_names).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import version

import numpy as np

from ndg.runtime.meshes import Instances, Mesh, Shapes

ARRAY_BUFFER, ELEMENT_ARRAY_BUFFER = 34962, 34963
FLOAT, UNSIGNED_SHORT, UNSIGNED_INT = 5126, 5123, 5125
TRIANGLES, LINES = 4, 1
INSTANCING = "EXT_mesh_gpu_instancing"
INSTANCING_MODES = ("extension", "nodes")
# A placement whose rotation part is this far from orthonormal shears, which TRS cannot hold.
SHEAR_TOLERANCE = 1e-3


@dataclass(frozen=True)
class Placements:
    """An instance block's matrices split by what glTF can hold."""
    translation: np.ndarray  # (n, 3) float32
    rotation: np.ndarray  # (n, 4) float32 unit quaternions x, y, z, w
    scale: np.ndarray  # (n, 3) float32
    sheared: np.ndarray  # (m, 4, 4) the rest, written out as meshes


def placements(matrices: np.ndarray) -> Placements:
    """Decompose row-major instance matrices into translation, rotation and scale. Flattened ones
    (rank below 2) are dropped; a rank-2 one keeps scale 0 along its missing axis."""
    matrices = np.asarray(matrices, np.float64)
    linear = matrices[:, :3, :3]
    columns = linear.transpose(0, 2, 1)  # columns[:, j] is the image of axis j
    scale = np.linalg.norm(columns, axis=2)
    tiny = 1e-12 * np.maximum(scale.max(axis=1, keepdims=True), 1e-30)
    present = scale > tiny
    keep = present.sum(axis=1) >= 2
    columns, scale, present, matrices = columns[keep], scale[keep], present[keep], matrices[keep]
    unit = np.divide(columns, scale[..., None], out=np.zeros_like(columns), where=present[..., None])
    # A missing axis is the cross product of the other two (in right-handed order).
    for axis in range(3):
        a, b = (axis + 1) % 3, (axis + 2) % 3
        missing = ~present[:, axis]
        unit[missing, axis] = np.cross(unit[missing, a], unit[missing, b])
    # Mirrored placements: a negative scale on x makes the rest a proper rotation.
    mirrored = np.linalg.det(unit) < 0
    unit[mirrored, 0] *= -1
    scale[mirrored, 0] *= -1
    rotation = unit.transpose(0, 2, 1)
    error = np.abs(rotation.transpose(0, 2, 1) @ rotation - np.eye(3)).max(axis=(1, 2))
    good = error < SHEAR_TOLERANCE
    return Placements(matrices[good, :3, 3].astype(np.float32), _quaternions(rotation[good]).astype(np.float32),
                      scale[good].astype(np.float32), matrices[~good])


def _quaternions(rotation: np.ndarray) -> np.ndarray:
    """Unit quaternions (x, y, z, w) of proper rotation matrices, by the largest-component method."""
    m = rotation
    trace = m[:, 0, 0] + m[:, 1, 1] + m[:, 2, 2]
    candidates = np.stack([
        np.stack([m[:, 2, 1] - m[:, 1, 2], m[:, 0, 2] - m[:, 2, 0], m[:, 1, 0] - m[:, 0, 1], 1 + trace], 1),
        np.stack([1 + m[:, 0, 0] - m[:, 1, 1] - m[:, 2, 2], m[:, 0, 1] + m[:, 1, 0], m[:, 0, 2] + m[:, 2, 0],
                  m[:, 2, 1] - m[:, 1, 2]], 1),
        np.stack([m[:, 0, 1] + m[:, 1, 0], 1 - m[:, 0, 0] + m[:, 1, 1] - m[:, 2, 2], m[:, 1, 2] + m[:, 2, 1],
                  m[:, 0, 2] - m[:, 2, 0]], 1),
        np.stack([m[:, 0, 2] + m[:, 2, 0], m[:, 1, 2] + m[:, 2, 1], 1 - m[:, 0, 0] - m[:, 1, 1] + m[:, 2, 2],
                  m[:, 1, 0] - m[:, 0, 1]], 1),
    ], 1)  # (n, 4 candidates, 4): each is exact up to scale; the one with the largest norm is stable
    best = np.argmax(np.linalg.norm(candidates, axis=2), axis=1)
    quaternion = candidates[np.arange(len(m)), best]
    quaternion /= np.linalg.norm(quaternion, axis=1, keepdims=True)
    return quaternion * np.where(quaternion[:, 3:] < 0, -1.0, 1.0)


@dataclass
class _Builder:
    """The JSON document and the one binary buffer it points into. Arrays of one kind go into one
    buffer view, each array an accessor at its offset: a plant's hundreds of tubes cost a few
    array operations, not hundreds."""
    chunks: list = field(default_factory=list)  # bytes-like pieces of the binary buffer, in order
    length: int = 0
    views: list[dict] = field(default_factory=list)
    accessors: list[dict] = field(default_factory=list)
    meshes: list[dict] = field(default_factory=list)
    nodes: list[dict] = field(default_factory=list)
    uses_instancing: bool = False

    def accessors_for(self, data: np.ndarray, counts: list[int], kind: str, target: int | None,
                      bounds: bool = False) -> list[int]:
        """One buffer view holding `data` (rows of one element each, or a flat array for SCALAR)
        and one accessor per consecutive run of `counts` rows."""
        data = np.ascontiguousarray(data)
        view = {"buffer": 0, "byteOffset": self.length, "byteLength": data.nbytes}
        row_bytes = data.nbytes // max(len(data), 1)
        if target is not None:
            view["target"] = target
        if target == ARRAY_BUFFER:  # required when several accessors share the view
            view["byteStride"] = row_bytes
        self.chunks.append(data.reshape(-1).view(np.uint8).data)
        self.length += data.nbytes
        padding = -self.length % 4
        if padding:
            self.chunks.append(b"\0" * padding)
            self.length += padding
        self.views.append(view)
        component = {np.dtype(np.float32): FLOAT, np.dtype(np.uint16): UNSIGNED_SHORT,
                     np.dtype(np.uint32): UNSIGNED_INT}[data.dtype]
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
        if bounds and len(data):
            low, high = np.minimum.reduceat(data, starts, axis=0).tolist(), np.maximum.reduceat(data, starts, axis=0).tolist()
        first = len(self.accessors)
        for number, (start, count) in enumerate(zip(starts.tolist(), counts)):
            accessor = {"bufferView": len(self.views) - 1, "byteOffset": start * row_bytes, "componentType": component,
                        "count": count, "type": kind}
            if bounds:
                accessor["min"], accessor["max"] = low[number], high[number]
            self.accessors.append(accessor)
        return list(range(first, len(self.accessors)))

    def accessor(self, array: np.ndarray, kind: str, target: int | None, bounds: bool = False) -> int:
        return self.accessors_for(array, [len(array)], kind, target, bounds)[0]

    def triangles(self, meshes: list[Mesh]) -> list[dict]:
        """A primitive for each mesh (none of them empty)."""
        meshes = _without_unused_vertices(meshes)
        counts = [len(m.positions) for m in meshes]
        positions = self.accessors_for(np.concatenate([m.positions for m in meshes]).astype(np.float32, copy=False),
                                       counts, "VEC3", ARRAY_BUFFER, bounds=True)
        normals = self.accessors_for(_unit_normals(np.concatenate([m.normals for m in meshes])), counts, "VEC3",
                                     ARRAY_BUFFER)
        index_type = np.uint16 if max(counts) < 65535 else np.uint32
        faces = np.concatenate([m.faces.ravel() for m in meshes]).astype(index_type)
        indices = self.accessors_for(faces, [3 * len(m.faces) for m in meshes], "SCALAR", ELEMENT_ARRAY_BUFFER)
        return [{"attributes": {"POSITION": p, "NORMAL": n}, "indices": i, "mode": TRIANGLES}
                for p, n, i in zip(positions, normals, indices)]

    def lines(self, paths: list[np.ndarray]) -> list[dict]:
        """A primitive for each path (of two points or more), its segments indexed."""
        counts = [len(p) for p in paths]
        positions = self.accessors_for(np.concatenate(paths).astype(np.float32, copy=False), counts, "VEC3",
                                       ARRAY_BUFFER, bounds=True)
        # Segments with indices rather than a strip: trimesh and others read only these.
        index_type = np.uint16 if max(counts) < 65535 else np.uint32
        local = np.concatenate([np.repeat(np.arange(n, dtype=np.uint32), 2)[1:-1] for n in counts]).astype(index_type)
        indices = self.accessors_for(local, [2 * (n - 1) for n in counts], "SCALAR", ELEMENT_ARRAY_BUFFER)
        return [{"attributes": {"POSITION": p}, "indices": i, "mode": LINES} for p, i in zip(positions, indices)]

    def mesh(self, name: str, primitive: dict) -> int:
        self.meshes.append({"name": name, "primitives": [primitive]})
        return len(self.meshes) - 1

    def node(self, **fields) -> int:
        self.nodes.append(fields)
        return len(self.nodes) - 1


def _without_unused_vertices(meshes: list[Mesh]) -> list[Mesh]:
    """The validator warns about vertices no triangle uses; they are left out (checked for all
    meshes at once, since nearly always every vertex is used)."""
    counts = [len(m.positions) for m in meshes]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    used = np.zeros(sum(counts), bool)
    used[np.concatenate([m.faces.ravel() + start for m, start in zip(meshes, starts)])] = True
    if used.all():
        return meshes
    return [_compacted(mesh, used[start : start + len(mesh.positions)]) for mesh, start in zip(meshes, starts)]


def _compacted(mesh: Mesh, used: np.ndarray) -> Mesh:
    if used.all():
        return mesh
    remap = (np.cumsum(used) - 1).astype(np.int32)
    return Mesh(mesh.positions[used], mesh.normals[used], remap[mesh.faces])


def _unit_normals(normals: np.ndarray) -> np.ndarray:
    """glTF requires unit normals: those that are not are normalised, and a zero one becomes +y."""
    normals = np.asarray(normals, np.float32)
    length = np.sqrt(np.einsum("ij,ij->i", normals, normals))
    off = np.flatnonzero(np.abs(length - 1) > 1e-5)
    if len(off):
        normals = normals.copy()
        fixed = normals[off] / np.maximum(length[off], 1e-30)[:, None]
        fixed[length[off] <= 1e-20] = (0.0, 1.0, 0.0)
        normals[off] = fixed
    return normals


def encode(shapes: Shapes, names: dict[str, list[str]], binary: bool, instancing: str = "extension") -> bytes:
    """The glTF file (.glb when `binary`, else .gltf with its buffer embedded) for `shapes`."""
    builder = _Builder()
    roots: list[int] = []
    drawn = [(mesh, name) for mesh, name in zip(shapes.meshes, names["geometry"]) if len(mesh.faces)]
    if drawn:
        for (_, name), primitive in zip(drawn, builder.triangles([mesh for mesh, _ in drawn])):
            roots.append(builder.node(name=name, mesh=builder.mesh(name, primitive)))
    for block, name in zip(shapes.instances, names["instances"]):
        if len(block.mesh.faces):
            node = _instances(builder, block, name, instancing)
            if node is not None:
                roots.append(node)
    lines = [(path.points, name) for path, name in zip(shapes.paths, names["paths"]) if len(path.points) >= 2]
    if lines:
        for (_, name), primitive in zip(lines, builder.lines([points for points, _ in lines])):
            roots.append(builder.node(name=name, mesh=builder.mesh(name, primitive)))
    document: dict = {"asset": {"version": "2.0", "generator": f"ndg {_ndg_version()}"}}
    if builder.uses_instancing:
        document["extensionsUsed"] = document["extensionsRequired"] = [INSTANCING]
    document |= {"scene": 0, "scenes": [{"nodes": roots} if roots else {}]}
    if builder.nodes:
        document |= {"nodes": builder.nodes, "meshes": builder.meshes, "accessors": builder.accessors,
                     "bufferViews": builder.views}
    if builder.length:
        document["buffers"] = [{"byteLength": builder.length}]
    if not binary:
        if builder.length:
            import base64

            payload = base64.b64encode(b"".join(builder.chunks)).decode()
            document["buffers"][0]["uri"] = "data:application/octet-stream;base64," + payload
        return json.dumps(document, separators=(",", ":")).encode()
    return _glb(document, builder.chunks, builder.length)


def _instances(builder: _Builder, block: Instances, name: str, instancing: str) -> int | None:
    """The node drawing an instance block, or None when every placement draws nothing."""
    split = placements(block.matrices)
    children = []
    if len(split.translation):
        mesh = builder.mesh(name, builder.triangles([block.mesh])[0])
        if instancing == "extension":
            attributes = {"TRANSLATION": builder.accessor(split.translation, "VEC3", None),
                          "ROTATION": builder.accessor(split.rotation, "VEC4", None),
                          "SCALE": builder.accessor(split.scale, "VEC3", None)}
            children.append(builder.node(name=f"{name} instances", mesh=mesh,
                                         extensions={INSTANCING: {"attributes": attributes}}))
            builder.uses_instancing = True
        else:
            children += [builder.node(name=f"{name} {number}", mesh=mesh, translation=t.tolist(), rotation=r.tolist(),
                                      scale=s.tolist())
                         for number, (t, r, s) in enumerate(zip(split.translation, split.rotation, split.scale))]
    if len(split.sheared):
        sheared = Instances(block.mesh, split.sheared.astype(np.float32), block.depth).expanded()
        primitive = builder.triangles([sheared])[0]
        children.append(builder.node(name=f"{name} sheared", mesh=builder.mesh(f"{name} sheared", primitive)))
    if not children:
        return None
    if len(children) == 1 and instancing == "extension":
        builder.nodes[children[0]]["name"] = name
        return children[0]
    return builder.node(name=name, children=children)


def _glb(document: dict, chunks: list, length: int) -> bytes:
    text = json.dumps(document, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 4)
    parts = [b"", len(text).to_bytes(4, "little") + b"JSON", text]
    if length:
        parts.append(length.to_bytes(4, "little") + b"BIN\0")
        parts += chunks
    total = sum(len(part) if isinstance(part, bytes) else part.nbytes for part in parts)
    parts[0] = b"glTF" + (2).to_bytes(4, "little") + (12 + total).to_bytes(4, "little")
    return b"".join(parts)


@cache
def _ndg_version() -> str:
    # Read once: importlib.metadata parses the package's metadata on every call (~3 ms).
    return version("ndg")
