"""How long turning the plant into files and a picture takes, before and after, side by side.

Before: trimesh's exporters (its glTF scene, its OBJ/STL/PLY from one merged Trimesh) and the numpy
z-buffer renderer (ndg.render_cpu, now the fallback). After: ndg's own writers (ndg.gltf,
ndg.mesh_files, ndg.usd) and OpenGL (ndg.render_gl). Every time starts from the decoded arrays
(Result.shapes, decoded once), as a run's outputs do; best of several runs.

    taskset -c 1 .venv/bin/python bench/outputs.py [--example plant] [--repeat 5]
"""

from __future__ import annotations

import argparse
from pathlib import Path
from time import perf_counter

from rich.console import Console
from rich.table import Table

import ndg
from ndg import gltf, mesh_files, render_cpu, render_gl, usd
from ndg.export import to_scene, to_trimesh
from ndg.render import View, fit, points

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def best(function, repeat: int) -> float:
    fastest = float("inf")
    for _ in range(repeat):
        start = perf_counter()
        function()
        fastest = min(fastest, perf_counter() - start)
    return fastest


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--example", default="plant")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    result = ndg.compile(EXAMPLES / f"{args.example}.ndg").run()
    shapes, names = result.shapes, result.names
    merged = shapes.merged()
    view = View()
    frame = fit(points(shapes), view)
    if render_gl.unavailable():
        raise SystemExit(f"OpenGL cannot start here: {render_gl.unavailable()}")

    def trimesh_gltf(suffix):
        from trimesh.exchange.gltf import export_gltf

        scene = to_scene(shapes)
        return scene.export(file_type="glb") if suffix == ".glb" else export_gltf(scene, embed_buffers=True)

    rows = []
    for suffix in (".glb", ".gltf"):
        rows.append((suffix, best(lambda suffix=suffix: trimesh_gltf(suffix), args.repeat),
                     best(lambda suffix=suffix: gltf.encode(shapes, names, binary=suffix == ".glb"), args.repeat)))
    writers = {".obj": mesh_files.obj, ".ply": mesh_files.ply, ".stl": mesh_files.stl}
    for suffix, writer in writers.items():
        rows.append((suffix, best(lambda suffix=suffix: to_trimesh(merged).export(file_type=suffix[1:]), args.repeat),
                     best(lambda writer=writer: writer(merged), args.repeat)))
    for suffix in usd.USD_FORMATS:
        rows.append((suffix, None, best(lambda suffix=suffix: usd.encode(shapes, names, suffix), args.repeat)))
    rows.append(("picture 800x600", best(lambda: render_cpu.render(merged, view, frame), 1),
                 best(lambda: render_gl.render(shapes, view, frame), args.repeat)))

    console = Console()
    counts = shapes.counts()
    console.print(f"{args.example}.ndg: {counts['vertices']:,} vertices, {counts['triangles']:,} triangles, "
                  f"{counts['instances']} instances, {counts['paths']} paths; best of {args.repeat} "
                  f"(the numpy renderer once), from the decoded arrays")
    table = Table()
    for column, justify in (("output", "left"), ("before (trimesh / numpy)", "right"), ("after (ndg)", "right"),
                            ("speed-up", "right")):
        table.add_column(column, justify=justify)
    for name, before, after in rows:
        table.add_row(name, "—" if before is None else f"{1000 * before:,.1f} ms", f"{1000 * after:,.1f} ms",
                      "new" if before is None else f"{before / after:,.1f}×")
    console.print(table)


if __name__ == "__main__":
    main()
