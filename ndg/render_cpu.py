"""The fallback picture renderer, on the CPU with numpy, for machines where OpenGL cannot start
(ndg.render says when). Slower than ndg.render_gl and plainer: triangles are rasterised in
vectorised batches into a z-buffer at twice the size, shaded flat (Lambert, lit from both sides
since leaves are single sheets), then scaled down for smooth edges; paths are not drawn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ndg.render import AMBIENT, BACKGROUND, COLOUR, FILL, FILL_LIGHT, KEY, KEY_LIGHT, Frame, View
from ndg.runtime.meshes import Mesh

if TYPE_CHECKING:
    from PIL import Image

SUPERSAMPLE = 2
BATCH_PIXELS = 1 << 20  # candidate pixels tested at once; bounds the rasteriser's memory


def render(mesh: Mesh, view: View, frame: Frame) -> Image.Image:
    from PIL import Image  # only runs that make a picture pay for importing it

    width, height = view.width * SUPERSAMPLE, view.height * SUPERSAMPLE
    camera = np.einsum("ij,kj->ik", mesh.positions.astype(np.float64), frame.axes)  # see ndg.render.fit
    screen = frame.pixels(camera, width, height)
    triangles = screen[mesh.faces]  # (F, 3, 2)
    shade = _flat_shading(camera, mesh.faces)
    face_at = _rasterise(triangles, -camera[:, 2][mesh.faces], width, height)
    colours = np.concatenate([BACKGROUND[None, :], shade[:, None] * COLOUR[None, :]])
    pixels = colours[face_at + 1].reshape(height, width, 3)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    return image.resize((view.width, view.height), Image.Resampling.BOX)


def _flat_shading(camera: np.ndarray, faces: np.ndarray) -> np.ndarray:
    corners = camera[faces]
    normals = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
    length = np.linalg.norm(normals, axis=1, keepdims=True)
    normals = np.divide(normals, length, out=np.zeros_like(normals), where=length > 0)
    normals *= np.where(normals[:, 2:3] < 0, -1.0, 1.0)  # face the viewer: lit from both sides
    def lambert(light):
        return np.clip(normals @ (light / np.linalg.norm(light)), 0.0, 1.0)
    return AMBIENT + KEY * lambert(KEY_LIGHT) + FILL * lambert(FILL_LIGHT)


def _rasterise(triangles: np.ndarray, depths: np.ndarray, width: int, height: int) -> np.ndarray:
    """For every pixel (row-major), the index of the nearest triangle covering its centre, or -1.

    Each triangle tests the pixels of its bounding box. All those candidates are numbered in one
    sequence and handled BATCH_PIXELS at a time, so memory stays bounded however big a triangle is.
    """
    nearest = np.full(width * height, np.inf, np.float32)
    face_at = np.full(width * height, -1, np.int64)
    low = np.clip(np.floor(triangles.min(axis=1) - 0.5).astype(np.int64), 0, [width - 1, height - 1])
    high = np.clip(np.ceil(triangles.max(axis=1) - 0.5).astype(np.int64), 0, [width - 1, height - 1])
    on_screen = (triangles.max(axis=1) >= 0).all(axis=1) & (triangles.min(axis=1) < [width, height]).all(axis=1)
    planes, drawable = _planes(triangles - low[:, None, :], depths)
    visible = np.flatnonzero(drawable & on_screen)
    spans, low, planes = (high - low + 1)[visible], low[visible], planes[visible]
    counts = spans[:, 0] * spans[:, 1]
    ends = np.cumsum(counts)
    starts = ends - counts
    total = int(ends[-1]) if len(ends) else 0
    for first in range(0, total, BATCH_PIXELS):
        last = min(first + BATCH_PIXELS, total)
        # The triangles whose candidates fall in [first, last), each repeated once per candidate.
        t0, t1 = np.searchsorted(ends, first, side="right"), np.searchsorted(ends, last - 1, side="right") + 1
        taken = np.minimum(ends[t0:t1], last) - np.maximum(starts[t0:t1], first)
        which = np.repeat(np.arange(t0, t1), taken)
        local = np.arange(first, last) - starts[which]
        lx, ly = local % spans[which, 0], local // spans[which, 0]
        _draw(visible[which], low[which], lx, ly, planes[which], width, nearest, face_at)
    return face_at


def _planes(triangles: np.ndarray, depths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per triangle, (a, b, c) with value = a·x + b·y + c at pixel centre (x, y) for its three
    barycentric weights and its depth, as (F, 4, 3) float32; and which triangles have an area."""
    start, end = triangles[:, [1, 2, 0]], triangles[:, [2, 0, 1]]  # the edge opposite each corner
    area = (triangles[:, 1, 0] - triangles[:, 0, 0]) * (triangles[:, 2, 1] - triangles[:, 0, 1]) \
        - (triangles[:, 1, 1] - triangles[:, 0, 1]) * (triangles[:, 2, 0] - triangles[:, 0, 0])
    drawable = np.abs(area) > 1e-12
    scale = np.divide(1.0, area, out=np.zeros_like(area), where=drawable)[:, None]
    dx, dy = end[..., 0] - start[..., 0], end[..., 1] - start[..., 1]
    weights = np.stack([-dy * scale, dx * scale, (dy * (start[..., 0] - 0.5) - dx * (start[..., 1] - 0.5)) * scale],
                       axis=2)
    depth = np.einsum("fk,fkc->fc", depths, weights)
    return np.concatenate([weights, depth[:, None, :]], axis=1).astype(np.float32), drawable


def _draw(face, low, lx, ly, plane, width, nearest, face_at):
    """Test candidate pixels (low + (lx, ly)) against triangle `face`; keep the nearest hit per pixel.
    Coordinates are relative to each triangle's bounding box, so float32 keeps its precision."""
    x, y = lx.astype(np.float32)[:, None], ly.astype(np.float32)[:, None]
    values = plane[..., 0] * x + plane[..., 1] * y + plane[..., 2]
    inside = (values[:, 0] >= 0) & (values[:, 1] >= 0) & (values[:, 2] >= 0)
    face, depth = face[inside], values[inside, 3]
    pixel = (low[inside, 1] + ly[inside]) * width + low[inside, 0] + lx[inside]
    # A z-buffer in two passes: the nearest depth per pixel, then the triangle that has it.
    np.minimum.at(nearest, pixel, depth)
    hit = depth == nearest[pixel]
    face_at[pixel[hit]] = face[hit]
