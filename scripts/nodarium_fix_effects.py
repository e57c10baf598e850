"""Measure what each of default mode's fixes of Nodarium's bugs changes in Nodarium's default plant.

The plant is the one tests/fixtures/nodarium_nodes.json.gz holds (Nodarium's default template,
its randoms made constants), which compatibility mode reproduces bit for bit. For each fix, the
plant runs in compatibility mode except for the node type that carries the fix, which runs in
default mode; the table says how far that moves the result's vertices (tube vertices and path
points) against Nodarium's, and how many words change.

    .venv/bin/python scripts/nodarium_fix_effects.py [PLANT_NAME]
"""

import dataclasses
import gzip
import json
import sys
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from ndg.compiler.driver import compile_text
from ndg.runtime.abi import CONTROL_FIELDS, FLAG_COMPAT
from ndg.runtime.engine import Runner
from ndg.runtime.format import repair_geometry_counts
from ndg.runtime.meshes import decode

ROOT = Path(__file__).resolve().parent.parent
FIXES = {
    "tube rings: true circles, turned not mirrored": "max/plantarium/output",
    "gravity where it belongs, not one segment late": "max/plantarium/gravity",
    "branches where the tangent is parallel to Y": "max/plantarium/branch",
}


def run_mixed(compiled, default_kinds: set[str]) -> np.ndarray:
    """The result with the node types in `default_kinds` in default mode, all others in
    compatibility mode: one host call per step, the control block's flags word set before each
    (the runner's internals; the mode is a per-run setting everywhere else)."""
    plan = dataclasses.replace(compiled.plan, compat=True)
    runner = Runner(plan, compiled.module.wasm)
    flags_at = runner._control + 4 * (CONTROL_FIELDS - 1)
    for index, step in enumerate(plan.steps):
        runner._write_words(flags_at, [0 if plan.kinds[step.kind] in default_kinds else FLAG_COMPAT])
        runner._call_step(index)
    return np.array(runner.value(plan.output))


def vertices(words: np.ndarray) -> np.ndarray:
    shapes = decode(repair_geometry_counts(words))
    return np.concatenate([shapes.merged().positions] + [p.points for p in shapes.paths])


def ring_radii(words: np.ndarray) -> np.ndarray:
    """Every tube ring's smallest vertex distance from its path point, over the point's thickness
    (where that is at least 0.001: thinner rings are below the floats' resolution at the point)."""
    shapes = decode(repair_geometry_counts(words))
    ratios = []
    for path, tube in zip(shapes.paths, shapes.meshes):
        rings = tube.positions.reshape(len(path.points), -1, 3)
        reach = np.linalg.norm(rings - path.points[:, None, :], axis=2).min(axis=1)
        thick = path.thickness >= 0.001
        ratios.append(reach[thick] / path.thickness[thick])
    return np.concatenate(ratios)


def main():
    plants = json.loads(gzip.decompress((ROOT / "tests" / "fixtures" / "nodarium_nodes.json.gz").read_bytes()))["plants"]
    name = sys.argv[1] if len(sys.argv) > 1 else "default_plant_0"
    compiled = compile_text(plants[name]["ndg"], f"{name}.ndg", ())
    nodarium = run_mixed(compiled, set())
    base = vertices(nodarium)
    table = Table(title=f"Default mode's fixes, one at a time, on {name} ({len(base):,} vertices)")
    for column in ("fix", "words changed", "max vertex move", "mean vertex move"):
        table.add_column(column, justify="left" if column == "fix" else "right")
    rows = [(fix, {kind}) for fix, kind in FIXES.items()] + [("all of default mode", set(FIXES.values()))]
    for fix, kinds in rows:
        words = run_mixed(compiled, kinds)
        moved = np.linalg.norm(vertices(words).astype(np.float64) - base, axis=1)
        table.add_row(fix, f"{int((words != nodarium).sum()):,}", f"{moved.max():.4g}", f"{moved.mean():.4g}")
    console = Console(width=120)
    console.print(table)
    for mode, words in (("Nodarium", nodarium), ("default mode", run_mixed(compiled, set(FIXES.values())))):
        radii = ring_radii(words)
        console.print(f"{mode}: ring radius / thickness min {radii.min():.3f}, median {np.median(radii):.3f}, "
                      f"max {radii.max():.3f}")


if __name__ == "__main__":
    main()
