"""The design loop of `ndg serve`, measured side by side in one run:

- in the page (headless chromium, SwiftShader's software WebGL): one parameter change of the plant
  and of the tree, re-run (only the steps that depend on it) and redrawn, until the GPU is done;
  best and median of N changes, split into the run and the decode + upload + draw;
- the same plans' complete runs: the JavaScript runtime under Node (V8) against the Python runtime
  (wasmtime) and a native build of the same node library on the same memory image (ndg/native.py,
  its bytes checked identical to wasmtime's), best of N.

Run: taskset -c 1 .venv/bin/python bench/bench_serve.py [--repeats N]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table
from timing import best_of

from ndg.compiler.driver import compile_text
from ndg.native import NativeRunner, native_library
from ndg.runtime.engine import Runner
from ndg.runtime.plan import encode_plan

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from served_page import served_page  # noqa: E402  (the tests' way of opening the page)

# The examples with one constant made a parameter, and the values a change alternates between.
GRAPHS = {
    "plant": ("plant.ndg", "length: 11,", "length: length,", "param length: float = 11 in 4..16\n", (9.0, 13.0)),
    "tree": ("tree.ndg", "length: 8,", "length: length,", "param length: float = 8 in 4..12\n", (7.0, 9.0)),
}


def graph_text(name: str) -> str:
    file, constant, parameter, declaration, _ = GRAPHS[name]
    text = (ROOT / "examples" / file).read_text()
    assert constant in text
    return declaration + text.replace(constant, parameter, 1)


def in_page(folder: Path, name: str, repeats: int) -> dict:
    graph = folder / f"{name}.ndg"
    graph.write_text(graph_text(name))
    with served_page(graph) as (page, _):
        values = GRAPHS[name][4]
        totals, runs, builds, draws = [], [], [], []
        for index in range(repeats + 2):
            total = page.evaluate(f"ndgPage.changeAndDraw('length', {values[index % 2]})")
            if index >= 2:  # the first changes compile the code paths
                totals.append(total)
                runs.append(page.evaluate("ndgPage.state.runMs"))
                builds.append(page.evaluate("ndgPage.state.buildMs"))
                draws.append(page.evaluate("ndgPage.state.drawMs"))
        counts = page.evaluate("ndgPage.state.counts")
    return {"total": totals, "run": runs, "build": builds, "draw": draws, "counts": counts}


def runtimes(folder: Path, name: str, repeats: int) -> tuple[float, float, float, float]:
    compiled = compile_text(graph_text(name), f"{name}.ndg")
    plan = folder / f"{name}.ndp"
    plan.write_bytes(encode_plan(compiled.plan, compiled.module.wasm))
    done = subprocess.run(["node", str(ROOT / "web" / "bench-runtime.mjs"), str(repeats), str(plan)],
                          capture_output=True, text=True, check=True)
    [node] = json.loads(done.stdout)
    with Runner(compiled.plan, compiled.module.wasm) as runner:
        native = NativeRunner(runner, native_library(compiled.plan))
        assert native.run().tobytes() == runner.run().tobytes()
        python = best_of(lambda: runner.run(full=True), repeats) * 1000
        native_best = best_of(native.run, repeats) * 1000
    return node["best"], node["median"], python, native_best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    page_table = Table(title="one parameter change in the page: re-run + redraw (ms)")
    for column in ("graph", "vertices", "triangles", "total best", "total median", "run median", "decode + upload median",
                   "redraw median"):
        page_table.add_column(column, justify="right")
    runtime_table = Table(title="complete run of the same plan (ms)")
    for column in ("graph", "JS (V8, Node) best", "JS median", "Python (wasmtime) best", "native build best"):
        runtime_table.add_column(column, justify="right")
    with tempfile.TemporaryDirectory() as folder:
        for name in GRAPHS:
            measured = in_page(Path(folder), name, args.repeats)
            page_table.add_row(name, f"{measured['counts']['vertices']:,}", f"{measured['counts']['triangles']:,}",
                               f"{min(measured['total']):.1f}", f"{statistics.median(measured['total']):.1f}",
                               f"{statistics.median(measured['run']):.2f}", f"{statistics.median(measured['build']):.1f}",
                               f"{statistics.median(measured['draw']) - statistics.median(measured['build']):.1f}")
            node_best, node_median, python, native = runtimes(Path(folder), name, args.repeats)
            runtime_table.add_row(name, f"{node_best:.2f}", f"{node_median:.2f}", f"{python:.2f}", f"{native:.2f}")
    console = Console()
    console.print(page_table)
    console.print(runtime_table)


if __name__ == "__main__":
    main()
