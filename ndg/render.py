"""A shaded preview picture of a mesh, drawn on the CPU with numpy (no display, no GPU).

An orthographic camera looks at the mesh from `azimuth` degrees around the vertical (y) axis and
`elevation` degrees above the horizon, and is zoomed so the whole mesh fits with a margin. Triangles
are rasterised in vectorised batches into a z-buffer at twice the size, shaded flat (Lambert, lit
from both sides since leaves are single sheets), then scaled down for smooth edges.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from ndg.errors import UserError
from ndg.runtime.meshes import Mesh

if TYPE_CHECKING:
    from PIL import Image

SUPERSAMPLE = 2
MARGIN = 0.06  # of each side
BATCH_PIXELS = 1 << 20  # candidate pixels tested at once; bounds the rasteriser's memory
BACKGROUND = np.array([246, 246, 243], np.float32)
COLOUR = np.array([112, 168, 86], np.float32)
# Camera space: x right, y up, z towards the viewer. A key light from the upper left and a weaker
# fill from the right keep faces turned away from the key readable.
AMBIENT, KEY, FILL = 0.3, 0.55, 0.2
KEY_LIGHT = np.array([-0.45, 0.65, 0.6])
FILL_LIGHT = np.array([0.8, -0.1, 0.6])


@dataclass(frozen=True)
class View:
    width: int = 800
    height: int = 600
    azimuth: float = 35.0
    elevation: float = 20.0


def render(mesh: Mesh, view: View = View()) -> Image.Image:
    from PIL import Image  # only runs that make a picture pay for importing it

    if not len(mesh.faces):
        raise UserError("the result has no triangles to draw", "only meshes are drawn; paths are centre lines")
    width, height = view.width * SUPERSAMPLE, view.height * SUPERSAMPLE
    screen, depth = _project(mesh.positions.astype(np.float64), view, width, height)
    triangles = screen[mesh.faces]  # (F, 3, 2)
    shade = _flat_shading(mesh, view)
    face_at = _rasterise(triangles, depth[mesh.faces], width, height)
    colours = np.concatenate([BACKGROUND[None, :], shade[:, None] * COLOUR[None, :]])
    pixels = colours[face_at + 1].reshape(height, width, 3)
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB")
    return image.resize((view.width, view.height), Image.Resampling.BOX)


def _camera_axes(view: View) -> np.ndarray:
    """Rows: right, up, back (towards the viewer) in world coordinates."""
    azimuth = np.radians(view.azimuth)
    elevation = np.radians(np.clip(view.elevation, -89.0, 89.0))
    back = np.array([np.cos(elevation) * np.sin(azimuth), np.sin(elevation), np.cos(elevation) * np.cos(azimuth)])
    right = np.array([np.cos(azimuth), 0.0, -np.sin(azimuth)])
    return np.stack([right, np.cross(back, right), back])


def _project(positions: np.ndarray, view: View, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel coordinates (y down) of every vertex, framed to fit, and its distance from the viewer."""
    camera = positions @ _camera_axes(view).T
    low, high = camera[:, :2].min(axis=0), camera[:, :2].max(axis=0)
    extent = np.maximum(high - low, 1e-9)
    scale = min(width * (1 - 2 * MARGIN) / extent[0], height * (1 - 2 * MARGIN) / extent[1])
    centre = (low + high) / 2
    x = (camera[:, 0] - centre[0]) * scale + width / 2
    y = height / 2 - (camera[:, 1] - centre[1]) * scale
    return np.stack([x, y], axis=1), -camera[:, 2]


def _flat_shading(mesh: Mesh, view: View) -> np.ndarray:
    camera = mesh.positions.astype(np.float64) @ _camera_axes(view).T
    corners = camera[mesh.faces]
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


def parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise UserError(f"--size {text!r} is not WIDTHxHEIGHT", "for example --size 800x600") from None
    if not (16 <= width <= 4096 and 16 <= height <= 4096):
        raise UserError(f"--size {text} is out of range", "each side must be between 16 and 4096 pixels")
    return width, height


def parse_view(text: str) -> tuple[float, float]:
    try:
        azimuth, elevation = (float(part) for part in text.split(","))
    except ValueError:
        raise UserError(f"--view {text!r} is not AZIMUTH,ELEVATION in degrees", "for example --view 35,20") from None
    if not -90 <= elevation <= 90:
        raise UserError(f"--view elevation {elevation:g} is out of range", "it must be between -90 and 90 degrees")
    return azimuth, elevation
