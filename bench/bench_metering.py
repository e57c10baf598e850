"""What bounding a run costs: the plant, the tree and a 10,000-step math chain, fused, under each
way the runtime bounds a run (a deadline by stop checks, the default; fuel, with `--budget`) and under
wasmtime with no bound at all, measured side by side in one run (best of many).

Run: taskset -c 1 .venv/bin/python bench/bench_metering.py [--repeats N]
"""

from __future__ import annotations

import argparse
import functools
from contextlib import contextmanager
from unittest import mock

import wasmtime
from bench_runtime import ROOT, math_chain
from rich.console import Console
from rich.table import Table
from timing import best_of

from ndg.compiler.driver import compile_text, read_source
from ndg.runtime import engine as engine_module
from ndg.runtime.engine import Runner
from ndg.runtime.sandbox import MAX_WASM_STACK


@functools.cache
def unbounded_engine() -> wasmtime.Engine:
    config = wasmtime.Config()
    config.max_wasm_stack = MAX_WASM_STACK
    return wasmtime.Engine(config)


@contextmanager
def without_bounds():
    """Runners made inside use an engine with no fuel and no stop checks (the bench's yardstick
    only: the runtime never runs untrusted code like this), cached under their own key."""
    with mock.patch.object(engine_module, "untrusted_engine", lambda metering: unbounded_engine()), \
            mock.patch.object(engine_module, "untrusted_code", lambda metering, module: module), \
            mock.patch.object(engine_module, "engine_settings", lambda metering: "unbounded"):
        yield


def runners(compiled) -> dict[str, Runner]:
    plan, module = compiled.plan, compiled.module.wasm
    with without_bounds():
        unbounded = Runner(plan, module)
    return {"wasmtime, no bound": unbounded, "deadline (default)": Runner(plan, module),
            "fuel (--budget)": Runner(plan, module, budget=10**12)}


def interleaved_best(by_bound: dict[str, Runner], repeats: int) -> dict[str, float]:
    """The best time of each runner, taking turns run by run so that load from other processes
    falls on all of them alike."""
    best = dict.fromkeys(by_bound, float("inf"))
    for _ in range(repeats):
        for bound, runner in by_bound.items():
            best[bound] = min(best[bound], best_of(functools.partial(runner.run, full=True), 1))
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=300)
    options = parser.parse_args()
    graphs = {name: compile_text(read_source(ROOT / "examples" / name), name) for name in ("plant.ndg", "tree.ndg")}
    graphs["10,000-step chain"] = compile_text(math_chain(10_000), "chain.ndg")
    columns = {name: runners(compiled) for name, compiled in graphs.items()}
    times = {graph: interleaved_best(by_bound, options.repeats) for graph, by_bound in columns.items()}
    for by_bound in columns.values():  # every bound gives the same bytes
        results = {runner.run(full=True).tobytes() for runner in by_bound.values()}
        assert len(results) == 1
    table = Table(title=f"fused run, best of {options.repeats} (ratio to wasmtime with no bound)")
    table.add_column("bound")
    for graph in graphs:
        table.add_column(graph, justify="right")
    for bound in next(iter(columns.values())):
        cells = []
        for graph in graphs:
            took, yardstick = times[graph][bound], times[graph]["wasmtime, no bound"]
            cells.append(f"{took * 1e3:.4f} ms ({took / yardstick:.3f}×)")
        table.add_row(bound, *cells)
    Console().print(table)


if __name__ == "__main__":
    main()
