"""Per-node plans (a module per node type on one shared memory) against single-module plans,
measured side by side in one run for every example:

- load: building a Runner (validate the plan, compile or fetch the machine code, instantiate
  every module, write the tables), with the compiled-code cache cold and then warm (best of N);
- run: one fused run (one host call) and one stepped run (a host call per step), best of N;
- bytes: the total size of the plan's modules (the dispatcher and every node module for a
  per-node plan), and the memory the plan asks for.

Run: .venv/bin/python bench/bench_modules.py [--repeats N]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table
from timing import best_of

from ndg.cache import CACHE_VARIABLE
from ndg.compiler.driver import compile_text, read_source
from ndg.runtime.engine import Runner

ROOT = Path(__file__).resolve().parent.parent


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def measure(plan, wasm: bytes, repeats: int, code_cache: Path) -> dict:
    """Load (cold, then warm code cache) and run times of one plan; `code_cache` starts empty."""
    previous = os.environ.get(CACHE_VARIABLE)
    os.environ[CACHE_VARIABLE] = str(code_cache)
    try:
        cold = timed(lambda: Runner(plan, wasm).close())
        warm = best_of(lambda: Runner(plan, wasm).close(), repeats)
    finally:
        if previous is None:
            del os.environ[CACHE_VARIABLE]
        else:
            os.environ[CACHE_VARIABLE] = previous
    with Runner(plan, wasm) as runner:
        output = runner.run(full=True).tobytes()
        fused = best_of(lambda: runner.run(full=True), repeats)
        stepped = best_of(lambda: runner.run(stepped=True, full=True), repeats)
    return {"cold": cold, "warm": warm, "fused": fused, "stepped": stepped, "bytes": len(wasm),
            "memory": plan.memory_bytes, "modules": 1 + len(plan.modules), "output": output}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    options = parser.parse_args()
    table = Table(title="single module vs a module per node type (times in ms, best of "
                        f"{options.repeats} except cold load)")
    for column in ("example", "plan", "modules", "module bytes", "memory", "load cold", "load warm",
                   "run fused", "run stepped", "same bytes"):
        table.add_column(column, justify="left" if column in ("example", "plan") else "right")
    with tempfile.TemporaryDirectory() as scratch:
        for path in sorted((ROOT / "examples").glob("*.ndg")):
            text = read_source(path)
            results = {}
            for kind in ("single", "per-node"):
                compiled = compile_text(text, path.name, modules=kind)
                results[kind] = measure(compiled.plan, compiled.module.wasm, options.repeats,
                                        Path(scratch) / f"{path.stem}-{kind}")
            same = results["single"]["output"] == results["per-node"]["output"]
            for kind, r in results.items():
                table.add_row(path.name if kind == "single" else "", kind, str(r["modules"]), f"{r['bytes']:,}",
                              f"{r['memory'] // 1024:,} KiB", f"{r['cold'] * 1e3:.1f}", f"{r['warm'] * 1e3:.2f}",
                              f"{r['fused'] * 1e3:.3f}", f"{r['stepped'] * 1e3:.3f}",
                              "yes" if same else "NO")
            single, many = results["single"], results["per-node"]
            table.add_row("", "ratio", "", f"{many['bytes'] / single['bytes']:.2f}×",
                          f"{many['memory'] / single['memory']:.2f}×", f"{many['cold'] / single['cold']:.2f}×",
                          f"{many['warm'] / single['warm']:.2f}×", f"{many['fused'] / single['fused']:.2f}×",
                          f"{many['stepped'] / single['stepped']:.2f}×", "", end_section=True)
    Console().print(table)


if __name__ == "__main__":
    main()
