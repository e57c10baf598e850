"""Shaded preview pictures of a result: the camera rules, and which renderer draws.

An orthographic camera looks at the result from `azimuth` degrees around the vertical (y) axis and
`elevation` degrees above the horizon, and is zoomed so everything (triangles and paths) fits with
a margin. ndg.render_gl draws with OpenGL (EGL on Mesa's llvmpipe: no display or GPU needed):
smooth normals from the result, antialiased (2×2 supersampling), instances drawn as instances,
paths as lines.
Where no OpenGL context can be made, ndg.render_cpu draws instead (numpy, flat shading, no
lines; several times slower) and a note says why: a preview is worth having on any machine.
`NDG_RENDERER=cpu` or `gl` chooses one (gl then fails with a user error instead of falling back).
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ndg.errors import UserError
from ndg.runtime.meshes import Shapes

if TYPE_CHECKING:
    from PIL import Image

MARGIN = 0.06  # of each side
BACKGROUND = np.array([246, 246, 243], np.float32)
COLOUR = np.array([112, 168, 86], np.float32)
LINE_COLOUR = np.array([92, 70, 48], np.float32)
# Camera space: x right, y up, z towards the viewer. A key light from the upper left and a weaker
# fill from the right keep faces turned away from the key readable.
AMBIENT, KEY, FILL = 0.3, 0.55, 0.2
KEY_LIGHT = np.array([-0.45, 0.65, 0.6])
FILL_LIGHT = np.array([0.8, -0.1, 0.6])
PICTURE_FORMATS = (".png",)
TURNTABLE_FORMATS = (".png", ".webp", ".gif")
TURNTABLE_SECONDS = 4.0  # one turn of an animated turntable


@dataclass(frozen=True)
class View:
    width: int = 800
    height: int = 600
    azimuth: float = 35.0
    elevation: float = 20.0


@dataclass(frozen=True)
class Frame:
    """What the camera sees: its axes (rows: right, up, back in world coordinates), the centre of
    the picture and half its width and height in world units, and the depth range to draw."""
    axes: np.ndarray
    centre: np.ndarray
    half: np.ndarray
    depth: tuple[float, float]  # nearest and farthest camera z (towards the viewer is larger)

    def pixels(self, camera: np.ndarray, width: int, height: int) -> np.ndarray:
        """Pixel coordinates (y down) of camera-space points."""
        x = (camera[:, 0] - self.centre[0]) / (2 * self.half[0]) * width + width / 2
        y = height / 2 - (camera[:, 1] - self.centre[1]) / (2 * self.half[1]) * height
        return np.stack([x, y], axis=1)


def camera_axes(view: View) -> np.ndarray:
    """Rows: right, up, back (towards the viewer) in world coordinates."""
    azimuth = np.radians(view.azimuth)
    elevation = np.radians(np.clip(view.elevation, -89.0, 89.0))
    back = np.array([np.cos(elevation) * np.sin(azimuth), np.sin(elevation), np.cos(elevation) * np.cos(azimuth)])
    right = np.array([np.cos(azimuth), 0.0, -np.sin(azimuth)])
    return np.stack([right, np.cross(back, right), back])


def points(shapes: Shapes) -> np.ndarray:
    """Every vertex (instances placed) and path point: what a picture must show."""
    return np.concatenate([shapes.merged().positions] + [p.points for p in shapes.paths]).astype(np.float64)


def fit(world: np.ndarray, view: View) -> Frame:
    """The frame that shows `world` points whole, with the margin, at the view's aspect."""
    axes = camera_axes(view)
    # einsum, not `@`: a threaded BLAS call on a (N, 3) × (3, 3) product can take 100× longer on a
    # busy machine.
    camera = np.einsum("ij,kj->ik", world, axes)
    low, high = camera.min(axis=0), camera.max(axis=0)
    extent = np.maximum(high[:2] - low[:2], 1e-9)
    pixels_per_unit = min(view.width * (1 - 2 * MARGIN) / extent[0], view.height * (1 - 2 * MARGIN) / extent[1])
    half = np.array([view.width, view.height]) / (2 * pixels_per_unit)
    return Frame(axes, (low[:2] + high[:2]) / 2, half, (float(low[2]), float(high[2])))


def render(shapes: Shapes, view: View = View()) -> Image.Image:
    """The result drawn from `view`, framed on all of it."""
    return render_views(shapes, [view])[0]


def turntable(shapes: Shapes, view: View, count: int) -> list[Image.Image]:
    """`count` views around the vertical axis, the first from `view`, all at one zoom and centre
    (the bounds' centre), so that the result turns in place."""
    views = [View(view.width, view.height, view.azimuth + 360 * k / count, view.elevation) for k in range(count)]
    return render_views(shapes, views, steady=True)


def render_views(shapes: Shapes, views: list[View], steady: bool = False) -> list[Image.Image]:
    world = points(shapes)
    if not len(world):
        raise UserError("the result has nothing to draw", "it holds no triangles and no paths")
    frames = [fit(world, view) for view in views]
    if steady:
        centre = (world.min(axis=0) + world.max(axis=0)) / 2
        half = np.max([frame.half for frame in frames], axis=0)
        frames = [Frame(f.axes, f.axes[:2] @ centre, half, f.depth) for f in frames]
    renderer = _renderer()
    if renderer == "gl":
        from ndg import render_gl

        return [render_gl.render(shapes, view, frame) for view, frame in zip(views, frames)]
    from ndg import render_cpu

    mesh = shapes.merged()
    if not len(mesh.faces):
        raise UserError("the result has no triangles to draw",
                        "the CPU renderer draws triangles only; paths need OpenGL (see `ndg run --help`, --png)")
    return [render_cpu.render(mesh, view, frame) for view, frame in zip(views, frames)]


def _renderer() -> str:
    chosen = os.environ.get("NDG_RENDERER", "").lower()
    if chosen not in ("", "gl", "cpu"):
        raise UserError(f"NDG_RENDERER={chosen} is not a renderer", "set it to gl or cpu, or unset it")
    if chosen == "cpu":
        return "cpu"
    from ndg import render_gl

    problem = render_gl.unavailable()
    if problem is None:
        return "gl"
    if chosen == "gl":
        raise UserError(f"cannot draw with OpenGL: {problem}", render_gl.SETUP_HINT)
    print(f"note: drawing with the slower CPU renderer, since OpenGL cannot start: {problem}", file=sys.stderr)
    return "cpu"


def picture_bytes(images: list[Image.Image], path: str | os.PathLike, format: str | None = None) -> bytes:
    """One picture (PNG), several side by side in a grid (PNG), or an animation (WebP or GIF)."""
    import io

    from PIL import Image

    suffix = "." + format.lower().lstrip(".") if format else Path(path).suffix.lower()
    buffer = io.BytesIO()
    if suffix in (".webp", ".gif"):
        duration = int(1000 * TURNTABLE_SECONDS / len(images))
        extra = {"lossless": True} if suffix == ".webp" else {}
        images[0].save(buffer, format=suffix[1:].upper(), save_all=True, append_images=images[1:], loop=0,
                       duration=duration, **extra)
        return buffer.getvalue()
    columns = math.ceil(math.sqrt(len(images)))
    rows = math.ceil(len(images) / columns)
    width, height = images[0].size
    sheet = Image.new("RGB", (columns * width, rows * height), tuple(int(c) for c in BACKGROUND))
    for index, image in enumerate(images):
        sheet.paste(image, ((index % columns) * width, (index // columns) * height))
    sheet.save(buffer, format="PNG")
    return buffer.getvalue()


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
    if not (math.isfinite(azimuth) and math.isfinite(elevation)):
        raise UserError(f"--view {text} is not a direction", "give finite numbers of degrees, for example --view 35,20")
    if not -90 <= elevation <= 90:
        raise UserError(f"--view elevation {elevation:g} is out of range", "it must be between -90 and 90 degrees")
    return azimuth, elevation
