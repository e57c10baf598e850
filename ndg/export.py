"""Write a result in the format its file's extension (or `format`) names.

- `.glb`, `.gltf`: a glTF scene (ndg.gltf): geometry items as meshes, instance blocks through
  EXT_mesh_gpu_instancing (or one node per instance), paths as line strips.
- `.usda`, `.usdc`, `.usdz`: a USD stage (ndg.usd) with a PointInstancer per instance block.
- `.obj`, `.stl`, `.ply`: one mesh with every instance expanded (ndg.mesh_files); no paths.
- `.bin`: the result's words as little-endian i32; `.json`: the words as a JSON array of ints,
  which is what Nodarium's viewer receives (an Int32Array).
Files are written by ndg.outputs' rules; `-` is standard output, given a format.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np

from ndg.errors import UserError
from ndg.outputs import Target, check_output, is_stdout, write_output
from ndg.runtime.format import FormatError
from ndg.runtime.meshes import Mesh, Shapes, coordinates_problem, decode

SCENE_FORMATS = (".glb", ".gltf")
USD_FORMATS = (".usda", ".usdc", ".usdz")
MESH_FORMATS = (".obj", ".stl", ".ply")
WORD_FORMATS = (".bin", ".json")
FORMATS = SCENE_FORMATS + USD_FORMATS + MESH_FORMATS + WORD_FORMATS


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
    """The result's shapes, refused when they break the word format or hold coordinates no mesh
    file or picture can take."""
    try:
        shapes = decode(words)
    except FormatError as error:
        raise UserError(f"the result is not a valid item list: {error}",
                        "a node wrote words its output type does not allow; save the raw words with -o result.bin") from None
    problem = coordinates_problem(shapes)
    if problem:
        raise UserError(f"the result cannot be written as a mesh or drawn: {problem}",
                        "check the sizes and values given to the nodes; -o result.bin keeps the raw words")
    return shapes


def output_format(path: str | os.PathLike, format: str | None = None, formats: tuple[str, ...] = FORMATS) -> str:
    """The extension (with its dot) that says how `path` is written: `format` when given, else the
    file's own; standard output (`-`) needs `format`."""
    if format:
        suffix = "." + format.lower().lstrip(".")
    elif is_stdout(path):
        raise UserError("-o - writes to standard output, but in which format?",
                        f"add --format with one of {', '.join(f[1:] for f in formats)}")
    else:
        suffix = Path(path).suffix.lower()
    if suffix not in formats:
        raise UserError(f"cannot write {os.fspath(path)}: unknown format `{suffix}`",
                        f"use one of {', '.join(formats)}")
    return suffix


def check_destination(path: str | os.PathLike, format: str | None = None, formats: tuple[str, ...] = FORMATS,
                      inputs=()) -> tuple[Target, str]:
    """Refuse, before any work is done, a destination that cannot be written; return it and its format."""
    target = check_output(path, inputs)
    return target, output_format(path, format, formats)


def encode(words: np.ndarray, suffix: str, names: dict[str, list[str]] | None = None,
           gltf_instancing: str = "extension", shapes: Shapes | None = None) -> tuple[bytes, list[str]]:
    """The file's bytes in format `suffix`, and notes on what the format could not hold.
    `shapes`: the words already decoded, when the caller has them."""
    if suffix == ".bin":
        return np.asarray(words).astype("<i4").tobytes(), []
    if suffix == ".json":
        return json.dumps(np.asarray(words).tolist()).encode(), []
    shapes = shapes or decode_result(words)
    if names is None:
        from ndg.item_names import default_names

        names = default_names(words)
    if suffix in SCENE_FORMATS:
        from ndg import gltf

        return gltf.encode(shapes, names, binary=suffix == ".glb", instancing=gltf_instancing), []
    if suffix in USD_FORMATS:
        from ndg import usd

        return usd.encode(shapes, names, suffix), []
    from ndg import mesh_files

    mesh = shapes.merged()
    if not len(mesh.faces):
        raise UserError(f"a {suffix} file holds triangles, and the result has none",
                        "write it as .glb (which keeps paths as lines), .bin or .json")
    data = {".obj": mesh_files.obj, ".ply": mesh_files.ply, ".stl": mesh_files.stl}[suffix](mesh)
    skipped = sum(len(p.points) >= 2 for p in shapes.paths)
    notes = [f"{suffix} has no lines: {skipped} path(s) left out (.glb, .gltf and USD keep them)"] if skipped else []
    return data, notes


def save(words: np.ndarray, path: str | os.PathLike, format: str | None = None,
         names: dict[str, list[str]] | None = None, gltf_instancing: str = "extension",
         shapes: Shapes | None = None) -> list[str]:
    """Write `words` to `path` in the format `format` or its extension names; return notes on what
    was left out."""
    target, suffix = check_destination(path, format)
    data, notes = encode(words, suffix, names, gltf_instancing, shapes)
    write_output(target, data)
    return notes
