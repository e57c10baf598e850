"""One-mesh files (.obj, .ply, .stl) written with numpy from the decoded arrays.

trimesh's exporters merge and check the mesh first, which takes seconds on a plant; these write the
arrays as they are: vertices shared as the result shares them (STL has no shared vertices), normals
as the nodes computed them.
"""

from __future__ import annotations

import numpy as np

from ndg.runtime.meshes import Mesh


def obj(mesh: Mesh) -> bytes:
    """Wavefront OBJ: `v` and `vn` lines, faces as `f a//a b//b c//c` (1-based)."""
    vertices = np.asarray(mesh.positions).ravel().tolist()
    vertex_lines = (("v %.7g %.7g %.7g\n" * len(mesh.positions)) % tuple(vertices)).encode()
    # Normals to 4 decimals, each looked up among the 20,001 texts that can be.
    steps = np.round(np.clip(np.nan_to_num(mesh.normals), -1, 1) * NORMAL_STEPS).astype(np.int64) + NORMAL_STEPS
    normal_texts = [f"{step / NORMAL_STEPS - 1:.4f}".encode() for step in range(2 * NORMAL_STEPS + 1)]
    normal_lines = _lines(steps, normal_texts, [b"vn ", b" ", b" ", b"\n"])
    faces = np.repeat(np.asarray(mesh.faces, np.int64), 2, axis=1)
    face_texts = [str(number).encode() for number in range(1, len(mesh.positions) + 1)]
    face_lines = _lines(faces, face_texts, [b"f ", b"//", b" ", b"//", b" ", b"//", b"\n"])
    return b"".join([b"# written by ndg\n", vertex_lines, normal_lines, face_lines])


NORMAL_STEPS = 10_000


def _lines(indices: np.ndarray, texts: list[bytes], separators: list[bytes]) -> bytes:
    """Row i of the result is separators[0] + texts[indices[i, 0]] + separators[1] + … with array
    operations (formatting numbers one by one in Python is most of an OBJ's time): the texts become
    a table of fixed-width byte strings, padded with 0 bytes that are removed at the end."""
    count, fields = indices.shape
    if not count:
        return b""
    table = np.array(texts)
    width = table.dtype.itemsize
    cells = table[indices].view(np.uint8).reshape(count, fields, width)
    pieces = []
    for index, separator in enumerate(separators):
        pieces.append(np.broadcast_to(np.frombuffer(separator, np.uint8), (count, len(separator))))
        if index < fields:
            pieces.append(cells[:, index])
    flat = np.concatenate(pieces, axis=1).ravel()
    return flat[flat != 0].tobytes()


def ply(mesh: Mesh) -> bytes:
    """Binary little-endian PLY with positions, normals and triangles."""
    header = (
        "ply\nformat binary_little_endian 1.0\ncomment written by ndg\n"
        f"element vertex {len(mesh.positions)}\n"
        "property float x\nproperty float y\nproperty float z\n"
        "property float nx\nproperty float ny\nproperty float nz\n"
        f"element face {len(mesh.faces)}\nproperty list uchar int vertex_indices\nend_header\n"
    ).encode()
    vertices = np.hstack([mesh.positions, mesh.normals]).astype("<f4")
    faces = np.zeros(len(mesh.faces), np.dtype([("count", "u1"), ("corners", "<i4", (3,))]))
    faces["count"] = 3
    faces["corners"] = mesh.faces
    return header + vertices.tobytes() + faces.tobytes()


def stl(mesh: Mesh) -> bytes:
    """Binary STL: each triangle with its face normal (from its corners, as readers expect)."""
    corners = np.asarray(mesh.positions, np.float32)[mesh.faces]
    normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    normals = np.divide(normals, length, out=np.zeros_like(normals), where=length > 0)
    records = np.zeros(len(corners), np.dtype([("normal", "<f4", (3,)), ("corners", "<f4", (3, 3)), ("attribute", "<u2")]))
    records["normal"] = normals
    records["corners"] = corners
    header = b"binary STL written by ndg".ljust(80, b" ")
    return header + len(records).to_bytes(4, "little") + records.tobytes()
