"""One-mesh files (.obj, .ply, .stl) written with numpy from the decoded arrays.

trimesh's exporters merge and check the mesh first, which takes seconds on a plant; these write the
arrays as they are: vertices shared as the result shares them (STL has no shared vertices), normals
as the nodes computed them.
"""

from __future__ import annotations

import numpy as np

from ndg.runtime.meshes import Mesh


def obj(mesh: Mesh) -> bytes:
    """Wavefront OBJ: `v` lines (positions to 7 decimals, about float32's own precision near 1),
    `vn` lines (normals to 4 decimals), faces as `f a//a b//b c//c` (1-based)."""
    if not len(mesh.faces):
        return b"# written by ndg\n"
    positions = np.asarray(mesh.positions, np.float64)
    if len(positions) and np.all(np.isfinite(positions)) and np.abs(positions).max() < FIXED_LIMIT:
        vertex_lines = _lines(_decimal_cells(positions), [b"v ", b" ", b" ", b"\n"])
    else:  # beyond what fixed-point text holds: Python's formatting, slower
        vertex_lines = (("v %.7g %.7g %.7g\n" * len(positions)) % tuple(positions.ravel().tolist())).encode()
    # Normals and vertex numbers are each one of a few texts, looked up in a table of them.
    steps = np.round(np.clip(np.nan_to_num(mesh.normals), -1, 1) * NORMAL_STEPS).astype(np.int64) + NORMAL_STEPS
    normal_texts = [f"{step / NORMAL_STEPS - 1:.4f}".encode() for step in range(2 * NORMAL_STEPS + 1)]
    normal_lines = _lines(_table_cells(steps, normal_texts), [b"vn ", b" ", b" ", b"\n"])
    numbers = _integer_cells(np.arange(1, len(mesh.positions) + 1))  # the text of every vertex number
    face_lines = _lines(numbers[mesh.faces], [b"f ", b"//", b" ", b"//", b" ", b"//", b"\n"], order=[0, 0, 1, 1, 2, 2])
    return b"".join([b"# written by ndg\n", vertex_lines, normal_lines, face_lines])


NORMAL_STEPS = 10_000  # normals to 4 decimals
FIXED_LIMIT = 1e9  # |x| below this, times 10^7, fits an int64


def _table_cells(indices: np.ndarray, texts: list[bytes]) -> np.ndarray:
    """(n, k, width) texts[indices], each padded with 0 bytes to the longest."""
    table = np.array(texts)
    return table[indices].view(np.uint8).reshape(indices.shape + (table.dtype.itemsize,))


def _integer_cells(values: np.ndarray) -> np.ndarray:
    """(n, k, width) ASCII digits of non-negative integers, right-aligned, leading places 0 bytes."""
    width = len(str(int(values.max()))) if values.size else 1
    cells = np.zeros(values.shape + (width,), np.uint8)
    remaining = values.astype(np.int64)
    for place in range(width - 1, -1, -1):
        shown = (remaining > 0) | (place == width - 1)
        cells[..., place] = np.where(shown, remaining % 10 + 48, 0)
        remaining //= 10
    return cells


def _digits(places: int) -> np.ndarray:
    """(10**places, places) the ASCII digits of every number of `places` digits, leading zeros kept."""
    return _integer_cells(np.arange(10**places) + 10**places)[:, 1:]


def _decimal_cells(values: np.ndarray) -> np.ndarray:
    """(n, k, width) ASCII text of numbers in fixed point with 7 decimals: a sign where negative,
    the integer digits, a point and the decimals (looked up 4 and 3 at a time); unused places 0."""
    scaled = np.round(np.abs(values) * 10**7).astype(np.int64)
    whole, fraction = np.divmod(scaled, 10**7)
    high, low = np.divmod(fraction, 1000)
    sign = np.where((values < 0) & (scaled > 0), ord("-"), 0).astype(np.uint8)[..., None]
    point = np.full(values.shape + (1,), ord("."), np.uint8)
    return np.concatenate([sign, _integer_cells(whole), point, _digits(4)[high], _digits(3)[low]], axis=-1)


def _lines(cells: np.ndarray, separators: list[bytes], order: list[int] | None = None) -> bytes:
    """Row i of the result is separators[0] + cells[i, order[0]] + separators[1] + … with 0 bytes
    removed: numbers are laid out as fixed-width cells by array operations (formatting them one by
    one in Python is most of an OBJ's time), and the padding goes in one pass at the end."""
    count = len(cells)
    if not count:
        return b""
    order = order if order is not None else list(range(cells.shape[1]))
    pieces = []
    for index, separator in enumerate(separators):
        pieces.append(np.broadcast_to(np.frombuffer(separator, np.uint8), (count, len(separator))))
        if index < len(order):
            pieces.append(cells[:, order[index]])
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
