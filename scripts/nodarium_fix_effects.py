"""Measure what each of default mode's fixes of Nodarium's bugs changes in Nodarium's default plant.

The plant is Nodarium's default template as the differential corpus holds it
(tests/fixtures/nodarium_corpus.json.gz: its two randoms evaluated per use), at the corpus's run
seeds; compatibility mode reproduces Nodarium's words for it bit for bit (checked here against the
fixture's digest). For each fix, the plant runs in compatibility mode except for the node type that
carries the fix, which runs in default mode; the table says how far that moves the result's
vertices (tube vertices and path points) against Nodarium's, and how many words change. The last
row per seed is default mode itself, its own plan (each node once, in topological order).

    .venv/bin/python scripts/nodarium_fix_effects.py
"""

import dataclasses
import gzip
import hashlib
import json
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.table import Table

from ndg.compiler.definitions import NodeLibrary
from ndg.compiler.driver import compile_text
from ndg.compiler.nodarium.interchange import import_graph
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


def run_mixed(compiled, seed: int, default_kinds: set[str]) -> np.ndarray:
    """The result with the node types in `default_kinds` in default mode, all others in
    compatibility mode: one host call per step, the control block's flags word set before each
    (the runner's internals; the mode is a per-run setting everywhere else)."""
    plan = dataclasses.replace(compiled.plan, compat=True)
    runner = Runner(plan, compiled.module.wasm)
    runner.set_param("seed", seed)
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
    cases = json.loads(gzip.decompress((ROOT / "tests" / "fixtures" / "nodarium_corpus.json.gz").read_bytes()))
    library = NodeLibrary.load(())
    table = Table(title="Default mode's fixes, one at a time, on Nodarium's default template")
    for column in ("fix", "seed", "words changed", "max vertex move", "mean vertex move"):
        table.add_column(column, justify="left" if column == "fix" else "right")
    console = Console(width=130)
    rows = [(fix, {kind}) for fix, kind in FIXES.items()] + [("all fixes", set(FIXES.values()))]
    for name in ("default_template_0", "default_template_3", "default_template_12345"):
        case = cases[name]
        seed = case["seed"]
        plans = {compat: compile_text(import_graph(case["graph"], library, f"{name}.json", compat=compat).text,
                                      f"{name}.ndg") for compat in (True, False)}
        nodarium = run_mixed(plans[True], seed, set())
        assert hashlib.sha256(nodarium.tobytes()).hexdigest() == case["sha256"], "compatibility mode is not Nodarium"
        base = vertices(nodarium)
        with Runner(plans[False].plan, plans[False].module.wasm) as runner:
            runner.set_param("seed", seed)
            default = np.array(runner.run())
        results = [(fix, run_mixed(plans[True], seed, kinds)) for fix, kinds in rows]
        for fix, words in results + [("default mode (its own plan)", default)]:
            moved = np.linalg.norm(vertices(words).astype(np.float64) - base, axis=1)
            table.add_row(fix, str(seed), f"{int((words != nodarium).sum()):,}", f"{moved.max():.3g}",
                          f"{moved.mean():.3g}")
        for mode, words in (("Nodarium", nodarium), ("default mode", default)):
            radii = ring_radii(words)
            console.print(f"seed {seed}, {len(base):,} vertices: {mode}: ring radius / thickness min {radii.min():.3f}, "
                          f"median {np.median(radii):.3f}, max {radii.max():.3f}")
    console.print(table)


if __name__ == "__main__":
    main()
