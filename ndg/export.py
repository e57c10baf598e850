"""Write a result to a file chosen by its extension: meshes through trimesh, or the raw words.

- `.glb`, `.gltf`: a scene; geometry items as meshes, each instance block as one mesh placed by
  one node per instance (glTF's own instancing), paths as line strips.
- `.obj`, `.stl`, `.ply`: one mesh with every instance expanded; these formats get no paths.
- `.bin`: the result's words as little-endian i32; `.json`: the words as a JSON array of ints,
  which is what Nodarium's viewer receives (an Int32Array).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ndg.errors import UserError
from ndg.runtime.format import FormatError
from ndg.runtime.meshes import Mesh, Shapes, decode
from ndg.runtime.plan import write_atomically

SCENE_FORMATS = (".glb", ".gltf")
MESH_FORMATS = (".obj", ".stl", ".ply")
WORD_FORMATS = (".bin", ".json")
FORMATS = SCENE_FORMATS + MESH_FORMATS + WORD_FORMATS


def to_trimesh(mesh: Mesh):
    import trimesh

    return trimesh.Trimesh(vertices=mesh.positions, faces=mesh.faces, vertex_normals=mesh.normals, process=False)


def to_scene(shapes: Shapes):
    """A trimesh Scene that keeps instances as placements of one shared mesh."""
    import trimesh

    scene = trimesh.Scene()
    for index, mesh in enumerate(shapes.meshes):
        if len(mesh.faces):
            scene.add_geometry(to_trimesh(mesh), geom_name=f"geometry{index}", node_name=f"geometry{index}")
    for index, block in enumerate(shapes.instances):
        name = f"instances{index}"
        if not len(block.mesh.faces):
            continue
        for number, matrix in enumerate(block.matrices.astype(np.float64)):
            if number == 0:
                scene.add_geometry(to_trimesh(block.mesh), geom_name=name, node_name=f"{name}.0", transform=matrix)
            else:
                scene.graph.update(frame_to=f"{name}.{number}", frame_from=scene.graph.base_frame, matrix=matrix,
                                   geometry=name)
    for index, path in enumerate(shapes.paths):
        if len(path.points) >= 2:
            scene.add_geometry(trimesh.load_path(path.points.astype(np.float64)), geom_name=f"path{index}",
                               node_name=f"path{index}")
    return scene


def decode_result(words: np.ndarray) -> Shapes:
    try:
        return decode(words)
    except FormatError as error:
        raise UserError(f"the result is not a valid item list: {error}",
                        "a node wrote words its output type does not allow; save the raw words with -o result.bin") from None


def check_destination(path: Path, formats: tuple[str, ...] = FORMATS) -> None:
    """Refuse, before any work is done, a file name whose extension or folder cannot be written."""
    if path.suffix.lower() not in formats:
        raise UserError(f"cannot write {path}: unknown extension `{path.suffix}`", f"use one of {', '.join(formats)}")
    if not path.parent.is_dir():
        raise UserError(f"cannot write {path}: there is no folder {path.parent}", "create the folder first")


def save(words: np.ndarray, path: Path) -> list[str]:
    """Write `words` to `path` in the format its extension names; return notes on what was left out."""
    path = Path(path)
    check_destination(path)
    suffix = path.suffix.lower()
    if suffix == ".bin":
        write_atomically(path, np.asarray(words).astype("<i4").tobytes())
        return []
    if suffix == ".json":
        write_atomically(path, json.dumps([int(w) for w in words]).encode())
        return []
    shapes = decode_result(words)
    if suffix in SCENE_FORMATS:
        scene = to_scene(shapes)
        if not scene.geometry:
            raise UserError(f"cannot write {path}: the result has nothing to draw", "write it as .bin or .json")
        if suffix == ".glb":
            data = scene.export(file_type="glb")
        else:
            from trimesh.exchange.gltf import export_gltf

            data = export_gltf(scene, embed_buffers=True)["model.gltf"]
        write_atomically(path, data)
        return []
    mesh = shapes.merged()
    if not len(mesh.faces):
        raise UserError(f"cannot write {path}: the result has no triangles",
                        "write it as .glb (which keeps paths as lines), .bin or .json")
    data = to_trimesh(mesh).export(file_type=suffix[1:])
    write_atomically(path, data.encode() if isinstance(data, str) else data)
    skipped = sum(len(p.points) >= 2 for p in shapes.paths)
    return [f"{path.suffix} has no lines: {skipped} path(s) left out of {path} (.glb and .gltf keep them)"] if skipped else []
