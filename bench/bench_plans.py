"""Compiled plans side by side: each node's own time (`Runner.profile`, host-call cost subtracted)
and the fused run, taking turns plan by plan (best of many) so that load from other processes
falls on all of them alike. For before/after comparisons of node code: compile the same graph
on two branches and pass both plans.

Run: taskset -c 1 .venv/bin/python bench/bench_plans.py BEFORE.ndp AFTER.ndp [--repeats N]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ndg.runtime.engine import Runner
from ndg.runtime.plan import load_plan


def fused_best(runners: dict[str, Runner], repeats: int) -> dict[str, float]:
    best = dict.fromkeys(runners, float("inf"))
    for _ in range(repeats):
        for name, runner in runners.items():
            started = time.perf_counter()
            runner.run(full=True)
            best[name] = min(best[name], time.perf_counter() - started)
    return best


def profile_best(runners: dict[str, Runner], repeats: int) -> dict[str, list[int]]:
    best: dict[str, list[int]] = {}
    for _ in range(repeats):
        for name, runner in runners.items():
            times = runner.profile(repeats=3)
            best[name] = [min(pair) for pair in zip(best.get(name, times), times)]
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("plans", nargs="+", type=Path)
    parser.add_argument("--repeats", type=int, default=300)
    options = parser.parse_args()
    runners = {str(path): Runner(*load_plan(path)) for path in options.plans}
    steps = [step.node for step in next(iter(runners.values())).plan.steps]
    if any([step.node for step in runner.plan.steps] != steps for runner in runners.values()):
        raise SystemExit("the plans must have the same steps (compile the same graph)")
    fused = fused_best(runners, options.repeats)
    nodes = profile_best(runners, max(options.repeats // 15, 3))
    first = next(iter(runners))
    table = Table(title=f"best of {options.repeats} fused runs and of the node profiles (ratio to {first})")
    table.add_column("")
    for name in runners:
        table.add_column(name, justify="right")
    rows = [(f"node {node}", {name: nodes[name][i] / 1e9 for name in runners}) for i, node in enumerate(steps)]
    rows += [("nodes, summed", {name: sum(nodes[name]) / 1e9 for name in runners}), ("fused run", fused)]
    for label, times in rows:
        table.add_row(label, *(f"{times[name] * 1e3:.4f} ms ({times[name] / times[first]:.2f}×)" for name in runners))
    Console().print(table)


if __name__ == "__main__":
    main()
