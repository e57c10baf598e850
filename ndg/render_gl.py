"""Pictures drawn with OpenGL through moderngl: on Linux an EGL context, which Mesa's llvmpipe
provides without a display or a GPU (Debian's libegl1 and libgl1-mesa-dri); elsewhere the
platform's own offscreen context.

Geometry items are one draw, each instance block one instanced draw (its placements are per-instance
attributes, normals turned by each placement's cofactor matrix, so mirrored and flattened ones
stay lit right), paths as lines (one draw for all). Smooth shading uses the normals the nodes computed,
lit from both sides (leaves are single sheets), drawn at twice the size and scaled down.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import numpy as np

from ndg.render import (
    AMBIENT,
    BACKGROUND,
    COLOUR,
    FILL,
    FILL_LIGHT,
    KEY,
    KEY_LIGHT,
    LINE_COLOUR,
    Frame,
    View,
)
from ndg.runtime.meshes import Mesh, Shapes, concatenate

if TYPE_CHECKING:
    from PIL import Image

# Antialiasing by drawing at twice the size and averaging each 2×2 block: on llvmpipe that is about
# twice as fast as 4× multisampling, and smooths shading as well as edges.
SUPERSAMPLE = 2
SETUP_HINT = ("install moderngl (`pip install moderngl`) and an OpenGL driver with EGL "
              "(Debian: `apt-get install libegl1 libgl1-mesa-dri`), or set NDG_RENDERER=cpu")

_CAMERA = """
uniform vec3 right;
uniform vec3 up;
uniform vec3 back;
uniform vec2 centre;
uniform vec2 half_size;
uniform vec2 depth;  // middle and half range of camera z
vec4 clip(vec3 world) {
    vec3 camera = vec3(dot(right, world), dot(up, world), dot(back, world));
    // Larger camera z is nearer the viewer, so it gets the smaller depth.
    return vec4((camera.xy - centre) / half_size, (depth.x - camera.z) / depth.y, 1.0);
}
"""

MESH_VERTEX = "#version 330\n" + _CAMERA + """
in vec3 position;
in vec3 normal;
in vec4 row0;  // per instance: the placement's rows (linear part and translation)
in vec4 row1;
in vec4 row2;
out vec3 camera_normal;
void main() {
    vec3 a = row0.xyz, b = row1.xyz, c = row2.xyz;
    vec3 world = vec3(dot(a, position) + row0.w, dot(b, position) + row1.w, dot(c, position) + row2.w);
    // The cofactor matrix (rows b×c, c×a, a×b) is the inverse transpose times the determinant.
    vec3 turned = vec3(dot(cross(b, c), normal), dot(cross(c, a), normal), dot(cross(a, b), normal));
    turned *= sign(dot(a, cross(b, c)));
    camera_normal = vec3(dot(right, turned), dot(up, turned), dot(back, turned));
    gl_Position = clip(world);
}
"""

MESH_FRAGMENT = """#version 330
in vec3 camera_normal;
uniform vec3 colour;
uniform vec3 key_light;
uniform vec3 fill_light;
uniform vec3 strengths;  // ambient, key, fill
out vec4 pixel;
void main() {
    float length_ = length(camera_normal);
    vec3 n = length_ > 0.0 ? camera_normal / length_ : vec3(0.0, 0.0, 1.0);
    if (n.z < 0.0) n = -n;  // lit from both sides
    float shade = strengths.x + strengths.y * max(dot(n, key_light), 0.0) + strengths.z * max(dot(n, fill_light), 0.0);
    pixel = vec4(colour * shade, 1.0);
}
"""

LINE_VERTEX = "#version 330\n" + _CAMERA + """
in vec3 position;
void main() { gl_Position = clip(position); }
"""

LINE_FRAGMENT = """#version 330
uniform vec3 colour;
out vec4 pixel;
void main() { pixel = vec4(colour, 1.0); }
"""

IDENTITY_ROWS = np.eye(4, dtype=np.float32)[:3].reshape(1, 12)

_state: dict = {}


def unavailable() -> str | None:
    """Why no OpenGL context can be made here, or None when one can (made once per process)."""
    if "context" not in _state and "problem" not in _state:
        try:
            import moderngl

            if sys.platform.startswith("linux"):
                # moderngl types its keyword settings wrongly (as dicts).
                _state["context"] = moderngl.create_standalone_context(require=330, backend="egl")  # type: ignore[arg-type]
            else:
                _state["context"] = moderngl.create_standalone_context(require=330)
        except Exception as error:  # moderngl raises plain Exceptions for a missing library or driver
            _state["problem"] = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return _state.get("problem")


def _programs(context):
    if "programs" not in _state:
        _state["programs"] = (context.program(vertex_shader=MESH_VERTEX, fragment_shader=MESH_FRAGMENT),
                              context.program(vertex_shader=LINE_VERTEX, fragment_shader=LINE_FRAGMENT))
    return _state["programs"]


def render(shapes: Shapes, view: View, frame: Frame) -> Image.Image:
    from PIL import Image

    problem = unavailable()
    if problem is not None:
        raise RuntimeError(problem)
    context = _state["context"]
    meshes, lines = _programs(context)
    size = (view.width * SUPERSAMPLE, view.height * SUPERSAMPLE)
    drawn = context.framebuffer(color_attachments=[context.renderbuffer(size, 4)],
                                depth_attachment=context.depth_renderbuffer(size))
    held = [drawn]
    try:
        for program in (meshes, lines):
            _set_camera(program, frame)
        meshes["colour"].value = tuple(COLOUR / 255)
        meshes["key_light"].value = tuple(KEY_LIGHT / np.linalg.norm(KEY_LIGHT))
        meshes["fill_light"].value = tuple(FILL_LIGHT / np.linalg.norm(FILL_LIGHT))
        meshes["strengths"].value = (AMBIENT, KEY, FILL)
        lines["colour"].value = tuple(LINE_COLOUR / 255)
        drawn.use()
        context.enable(context.DEPTH_TEST)
        drawn.clear(*(BACKGROUND / 255), 1.0, depth=1.0)
        geometry = concatenate([m for m in shapes.meshes if len(m.faces)])
        if len(geometry.faces):
            _draw_mesh(context, meshes, geometry, IDENTITY_ROWS, held)
        for block in shapes.instances:
            if len(block.mesh.faces) and len(block.matrices):
                rows = np.ascontiguousarray(block.matrices[:, :3, :], np.float32).reshape(-1, 12)
                _draw_mesh(context, meshes, block.mesh, rows, held)
        drawable = [path.points for path in shapes.paths if len(path.points) >= 2]
        if drawable:
            _draw_lines(context, lines, drawable, held)
        pixels = drawn.read(components=3)
    finally:
        for resource in held:
            resource.release()
    image = Image.frombytes("RGB", size, pixels).reduce(SUPERSAMPLE)
    return image.transpose(Image.Transpose.FLIP_TOP_BOTTOM)


def _set_camera(program, frame: Frame) -> None:
    right, up, back = frame.axes
    program["right"].value, program["up"].value, program["back"].value = tuple(right), tuple(up), tuple(back)
    program["centre"].value = tuple(frame.centre)
    program["half_size"].value = tuple(frame.half)
    near, far = frame.depth[1], frame.depth[0]
    program["depth"].value = ((near + far) / 2, max((near - far) / 2 * 1.01, 1e-6))


def _draw_lines(context, program, paths: list[np.ndarray], held: list) -> None:
    """Every path in one draw, as segments between consecutive points."""
    starts = np.cumsum([0] + [len(p) for p in paths[:-1]])
    segments = np.concatenate([np.arange(start, start + len(p) - 1) for start, p in zip(starts, paths)])
    indices = np.stack([segments, segments + 1], axis=1).astype(np.int32)
    positions = context.buffer(np.ascontiguousarray(np.concatenate(paths), np.float32).tobytes())
    index_buffer = context.buffer(indices.tobytes())
    vertices = context.vertex_array(program, [(positions, "3f", "position")], index_buffer=index_buffer,
                                    index_element_size=4)
    held += [positions, index_buffer, vertices]
    context.line_width = SUPERSAMPLE  # one pixel wide once scaled down
    vertices.render(context.LINES)


def _draw_mesh(context, program, mesh: Mesh, rows: np.ndarray, held: list) -> None:
    positions = context.buffer(np.ascontiguousarray(mesh.positions, np.float32).tobytes())
    normals = context.buffer(np.ascontiguousarray(mesh.normals, np.float32).tobytes())
    placements = context.buffer(np.ascontiguousarray(rows, np.float32).tobytes())
    indices = context.buffer(np.ascontiguousarray(mesh.faces, np.int32).tobytes())
    vertices = context.vertex_array(program, [(positions, "3f", "position"), (normals, "3f", "normal"),
                                              (placements, "4f 4f 4f/i", "row0", "row1", "row2")],
                                    index_buffer=indices, index_element_size=4)
    held += [positions, normals, placements, indices, vertices]
    vertices.render(context.TRIANGLES, instances=len(rows))
