"""Per-use evaluation (issue 13): what it costs where it does not apply, and where it does.

Side by side in one run, for this tree and a baseline revision (default `main`, exported with
`git archive` and imported from there in a subprocess):
- the 10,000-node math chain of bench_runtime.py (no `random`, so every scalar stays eager):
  the plan's memory and fused replay per step;
- a stem node of 64 stems whose thickness and origin come from `random`: one value for every
  stem before, a draw per stem now.

Run: taskset -c 1 .venv/bin/python bench/bench_per_use.py [--baseline REV] [--chain N]
"""

from __future__ import annotations

import argparse
import functools
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

RANDOM_STEMS = """random_thickness = random(min: 0.05, max: 0.2)
spread = random(min: -2, max: 2)
output(input: stem(origin: vec3(0: spread, 1: 0, 2: spread), amount: 64, thickness: random_thickness,
                   resolution_curve: 64))
"""
# ndg's package layout (pyproject.toml's package-dir): package -> folder in the tree.
PACKAGES = {"ndg": "ndg", "ndg/compiler": "compiler", "ndg/runtime": "runtime", "ndg/grammar": "grammar",
            "ndg/nodes": "nodes"}


def measure(chain: int) -> dict:
    from bench_runtime import math_chain
    from timing import best_of

    from ndg.compiler.driver import compile_text
    from ndg.runtime.engine import Runner

    results = {}
    for name, text in (("math chain", math_chain(chain)), ("64 random stems", RANDOM_STEMS)):
        compiled = compile_text(text, f"{name}.ndg")
        with Runner(compiled.plan, compiled.module.wasm) as runner:
            runner.run()
            per_run = best_of(functools.partial(runner.run, full=True), 200)
            results[name] = {"memory": compiled.plan.memory_pages * 65536, "steps": len(compiled.plan.steps),
                             "per_step_ns": per_run / len(compiled.plan.steps) * 1e9, "per_run_us": per_run * 1e6}
    return results


def measure_revision(revision: str, chain: int) -> dict:
    """`measure` run on another revision's code, in a subprocess that imports it from an export."""
    with tempfile.TemporaryDirectory() as tmp:
        archive = Path(tmp) / "tree.tar"
        subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archive), revision], check=True)
        tree = Path(tmp) / "tree"
        with tarfile.open(archive) as tar:
            tar.extractall(tree)
        site = Path(tmp) / "site"
        for package, folder in PACKAGES.items():
            (site / package).parent.mkdir(parents=True, exist_ok=True)
            if package == "ndg":
                (site / "ndg").mkdir()
                for entry in (tree / "ndg").iterdir():
                    (site / "ndg" / entry.name).symlink_to(entry)
            else:
                (site / package).symlink_to(tree / folder)
        code = (f"import sys, json; sys.path[:0] = [{str(site)!r}, {str(tree / 'bench')!r}]; "
                f"sys.path.insert(2, {str(ROOT / 'bench')!r}); "
                f"import bench_per_use; print(json.dumps(bench_per_use.measure({chain})))")
        done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=tmp)
        return json.loads(done.stdout.splitlines()[-1])


def main():
    from rich.console import Console
    from rich.table import Table

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="main", help="the revision to compare with (default main)")
    parser.add_argument("--chain", type=int, default=10_000, help="math nodes in the chain (default 10,000)")
    args = parser.parse_args()
    before, now = measure_revision(args.baseline, args.chain), measure(args.chain)
    table = Table(title=f"per-use evaluation: {args.baseline} against this tree (fused replay, best of 200 runs)")
    for column in ("graph", "steps", "memory", "per step", "per run"):
        table.add_column(column, justify="left" if column == "graph" else "right")
    for name in now:
        for label, result in ((args.baseline, before[name]), ("this tree", now[name])):
            table.add_row(f"{name} ({label})", str(result["steps"]), f"{result['memory'] / 1024:,.0f} KiB",
                          f"{result['per_step_ns']:.1f} ns", f"{result['per_run_us']:.1f} µs")
    Console().print(table)


if __name__ == "__main__":
    main()
