"""How long turning a big result into files and pictures takes.

A synthetic plant-sized result: tube meshes (geometry items) plus one instance block of leaves.
Prints one table: decode, expansion (vectorised, and a per-instance loop for comparison, measured
side by side), each export format, and the preview picture.

    .venv/bin/python bench/outputs.py [--leaves 5000] [--tubes 200]
"""

from __future__ import annotations

import argparse
import functools
import sys
import tempfile
from pathlib import Path
from time import perf_counter

import numpy as np
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from shapes_words import geometry_item, instances_item, result

from ndg.export import save
from ndg.render import View, render
from ndg.runtime.meshes import Mesh, decode


def tube(segments: int, sides: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    angle = np.linspace(0, 2 * np.pi, sides, endpoint=False)
    height = np.arange(segments + 1)[:, None]
    ring = np.stack([np.cos(angle), np.zeros(sides), np.sin(angle)], axis=1) * 0.05
    positions = (ring[None] + np.stack([rng.normal(0, 0.02, segments + 1), height[:, 0] * 0.1,
                                        np.zeros(segments + 1)], axis=1)[:, None]).reshape(-1, 3)
    a = (np.arange(segments)[:, None] * sides + np.arange(sides)[None]).ravel()
    b = (np.arange(segments)[:, None] * sides + (np.arange(sides)[None] + 1) % sides).ravel()
    faces = np.concatenate([np.stack([a, b, a + sides], 1), np.stack([b, b + sides, a + sides], 1)])
    return positions, faces


def leaf_matrices(count: int) -> np.ndarray:
    rng = np.random.default_rng(1)
    matrices = np.tile(np.eye(4, dtype=np.float32), (count, 1, 1))
    turn = rng.uniform(0, 2 * np.pi, count)
    matrices[:, 0, 0], matrices[:, 0, 2], matrices[:, 2, 0], matrices[:, 2, 2] = np.cos(turn), np.sin(turn), -np.sin(turn), np.cos(turn)
    matrices[:, :3, 3] = rng.normal(0, 1, (count, 3)) + [0, 3, 0]
    return matrices


def expand_per_instance(block) -> Mesh:
    """The obvious loop, one instance at a time: the reference the vectorised expansion is measured against."""
    positions, normals, faces = [], [], []
    homogeneous = np.concatenate([block.mesh.positions, np.ones((len(block.mesh.positions), 1), np.float32)], axis=1)
    for index, matrix in enumerate(block.matrices):
        positions.append((homogeneous @ matrix.T)[:, :3])
        turned = block.mesh.normals @ np.linalg.inv(matrix[:3, :3])
        normals.append(turned / np.linalg.norm(turned, axis=1, keepdims=True))
        faces.append(block.mesh.faces + index * len(block.mesh.positions))
    return Mesh(np.concatenate(positions), np.concatenate(normals), np.concatenate(faces))


def timed(function, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = perf_counter()
        function()
        best = min(best, perf_counter() - start)
    return best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--leaves", type=int, default=5000)
    parser.add_argument("--tubes", type=int, default=200)
    args = parser.parse_args()

    leaf_positions, leaf_faces = tube(4, 6, 0)
    items = [geometry_item(*tube(16, 8, seed)) for seed in range(args.tubes)]
    leaf_normals = leaf_positions / np.linalg.norm(leaf_positions, axis=1, keepdims=True)
    items.append(instances_item(leaf_positions, leaf_faces, leaf_matrices(args.leaves), leaf_normals))
    words = result(*items)
    shapes = decode(words)
    counts = shapes.counts()
    merged = shapes.merged()
    block = shapes.instances[0]

    rows = [("decode", timed(lambda: decode(words)))]
    vectorised, looped = timed(block.expanded), timed(lambda: expand_per_instance(block))
    rows += [("expand instances (vectorised)", vectorised), ("expand instances (per-instance loop)", looped)]
    with tempfile.TemporaryDirectory() as folder:
        for suffix in (".glb", ".gltf", ".obj", ".stl", ".ply", ".bin", ".json"):
            rows.append((f"write {suffix}", timed(functools.partial(save, words, Path(folder) / f"plant{suffix}"), repeat=1)))
    rows.append(("render 800x600", timed(lambda: render(merged, View()), repeat=1)))

    console = Console()
    console.print(f"{len(words)} words: {counts['vertices']} vertices, {counts['triangles']} triangles "
                  f"({args.tubes} tubes, {args.leaves} leaf instances)")
    table = Table()
    table.add_column("step")
    table.add_column("seconds", justify="right")
    for name, seconds in rows:
        table.add_row(name, f"{seconds:.4f}")
    console.print(table)
    console.print(f"vectorised expansion is {looped / vectorised:.1f}× the speed of the per-instance loop")


if __name__ == "__main__":
    main()
