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
    """The JSON document and the one binary buffer it points into, built accessor by accessor."""
    chunks: list[bytes] = field(default_factory=list)
    length: int = 0
    views: list[dict] = field(default_factory=list)
    accessors: list[dict] = field(default_factory=list)
    meshes: list[dict] = field(default_factory=list)
    nodes: list[dict] = field(default_factory=list)
    uses_instancing: bool = False

    def accessor(self, array: np.ndarray, kind: str, target: int | None, bounds: bool = False) -> int:
        data = np.ascontiguousarray(array).tobytes()
        view = {"buffer": 0, "byteOffset": self.length, "byteLength": len(data)}
        if target is not None:
            view["target"] = target
        self.chunks.append(data)
        self.length += len(data)
        padding = -self.length % 4
        if padding:
            self.chunks.append(b"\0" * padding)
            self.length += padding
        self.views.append(view)
        component = {np.dtype(np.float32): FLOAT, np.dtype(np.uint16): UNSIGNED_SHORT,
                     np.dtype(np.uint32): UNSIGNED_INT}[array.dtype]
        count = len(array) if kind != "SCALAR" else array.size
        accessor = {"bufferView": len(self.views) - 1, "componentType": component, "count": count, "type": kind}
        if bounds:
            accessor["min"] = array.min(axis=0).tolist()
            accessor["max"] = array.max(axis=0).tolist()
        self.accessors.append(accessor)
        return len(self.accessors) - 1

    def triangles(self, mesh: Mesh) -> dict:
        positions = np.asarray(mesh.positions, np.float32)
        faces = np.asarray(mesh.faces)
        used = np.zeros(len(positions), bool)
        used[faces.ravel()] = True
        if not used.all():  # the validator warns about vertices no triangle uses
            remap = np.cumsum(used) - 1
            positions, normals, faces = positions[used], mesh.normals[used], remap[faces]
        else:
            normals = mesh.normals
        index_type = np.uint16 if len(positions) < 65535 else np.uint32
        attributes = {"POSITION": self.accessor(positions, "VEC3", ARRAY_BUFFER, bounds=True),
                      "NORMAL": self.accessor(_unit_normals(normals), "VEC3", ARRAY_BUFFER)}
        indices = self.accessor(faces.astype(index_type).ravel(), "SCALAR", ELEMENT_ARRAY_BUFFER)
        return {"attributes": attributes, "indices": indices, "mode": TRIANGLES}

    def mesh(self, name: str, primitive: dict) -> int:
        self.meshes.append({"name": name, "primitives": [primitive]})
        return len(self.meshes) - 1

    def node(self, **fields) -> int:
        self.nodes.append(fields)
        return len(self.nodes) - 1


def _unit_normals(normals: np.ndarray) -> np.ndarray:
    """glTF requires unit normals: each is normalised, and a zero one becomes +y."""
    normals = np.asarray(normals, np.float32)
    length = np.sqrt(np.einsum("ij,ij->i", normals, normals))[:, None]
    unit = np.divide(normals, length, out=np.zeros_like(normals), where=length > 1e-20)
    unit[length[:, 0] <= 1e-20] = (0.0, 1.0, 0.0)
    return unit


def encode(shapes: Shapes, names: dict[str, list[str]], binary: bool, instancing: str = "extension") -> bytes:
    """The glTF file (.glb when `binary`, else .gltf with its buffer embedded) for `shapes`."""
    builder = _Builder()
    roots: list[int] = []
    for mesh, name in zip(shapes.meshes, names["geometry"]):
        if len(mesh.faces):
            roots.append(builder.node(name=name, mesh=builder.mesh(name, builder.triangles(mesh))))
    for block, name in zip(shapes.instances, names["instances"]):
        if len(block.mesh.faces):
            node = _instances(builder, block, name, instancing)
            if node is not None:
                roots.append(node)
    for path, name in zip(shapes.paths, names["paths"]):
        if len(path.points) >= 2:
            points = np.asarray(path.points, np.float32)
            # Segments with indices rather than a strip: trimesh and others read only these.
            segments = np.repeat(np.arange(len(points), dtype=np.uint32), 2)[1:-1]
            index_type = np.uint16 if len(points) < 65535 else np.uint32
            primitive = {"attributes": {"POSITION": builder.accessor(points, "VEC3", ARRAY_BUFFER, bounds=True)},
                         "indices": builder.accessor(segments.astype(index_type), "SCALAR", ELEMENT_ARRAY_BUFFER),
                         "mode": LINES}
            roots.append(builder.node(name=name, mesh=builder.mesh(name, primitive)))
    document: dict = {"asset": {"version": "2.0", "generator": f"ndg {version('ndg')}"}}
    if builder.uses_instancing:
        document["extensionsUsed"] = document["extensionsRequired"] = [INSTANCING]
    document |= {"scene": 0, "scenes": [{"nodes": roots} if roots else {}]}
    if builder.nodes:
        document |= {"nodes": builder.nodes, "meshes": builder.meshes, "accessors": builder.accessors,
                     "bufferViews": builder.views}
    payload = b"".join(builder.chunks)
    if payload:
        document["buffers"] = [{"byteLength": len(payload)}]
    if not binary:
        if payload:
            import base64

            document["buffers"][0]["uri"] = "data:application/octet-stream;base64," + base64.b64encode(payload).decode()
        return json.dumps(document, separators=(",", ":")).encode()
    return _glb(document, payload)


def _instances(builder: _Builder, block: Instances, name: str, instancing: str) -> int | None:
    """The node drawing an instance block, or None when every placement draws nothing."""
    split = placements(block.matrices)
    children = []
    if len(split.translation):
        mesh = builder.mesh(name, builder.triangles(block.mesh))
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
        children.append(builder.node(name=f"{name} sheared", mesh=builder.mesh(f"{name} sheared",
                                                                                 builder.triangles(sheared))))
    if not children:
        return None
    if len(children) == 1 and instancing == "extension":
        builder.nodes[children[0]]["name"] = name
        return children[0]
    return builder.node(name=name, children=children)


def _glb(document: dict, payload: bytes) -> bytes:
    text = json.dumps(document, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 4)
    chunks = [len(text).to_bytes(4, "little") + b"JSON" + text]
    if payload:
        chunks.append(len(payload).to_bytes(4, "little") + b"BIN\0" + payload)
    body = b"".join(chunks)
    return b"glTF" + (2).to_bytes(4, "little") + (12 + len(body)).to_bytes(4, "little") + body
