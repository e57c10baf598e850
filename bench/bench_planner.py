"""Planner benchmark: planning time on generated graphs, `reuse` layout size against the peak of
live bytes, and planned against written bytes on every example and on generated plant graphs
(with parameters: at their defaults and at the top of their ranges). Prints one table per question.

    .venv/bin/python bench/bench_planner.py [--sizes 1000,10000,100000] [--repeat 5]

Planning time is the passes plus the planner (sizes, lifetimes, offsets, memory map) over an
already parsed graph, with the cycle collector paused as `compile_text` does, against the node
library's module built once (its ModuleInfo reused), so no Rust build and no parsing are timed. Generated graphs are DAGs of the nodes that exist: chains of
math nodes reading the recent floats and a few graph-wide knobs, vec3s, and boxes sized by them.
Generated plant graphs are those of the property tests (tests/plant_graphs.py).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import struct
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from ndg.commands.plan import slot_area_bytes, slot_bytes
from ndg.compiler.build import build_library
from ndg.compiler.definitions import NodeLibrary
from ndg.compiler.driver import compile_text, cycle_collection_paused
from ndg.compiler.passes import analyse
from ndg.compiler.planner import plan_graph
from ndg.compiler.sizes import graph_shapes
from ndg.compiler.syntax import parse
from ndg.runtime.engine import Runner

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from plant_graphs import plant_graph

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
KNOBS = 8
RECENT = 32


def generated_graph(nodes: int, seed: int = 1, recent: int = RECENT) -> str:
    """`nodes` nodes (the output and its box included): knobs first, then a random mix whose
    inputs come from the `recent` latest floats or, one time in ten, from a knob."""
    rng = random.Random(seed)
    lines = [f"k{i} = float(value: {rng.uniform(0.5, 2.0):.3f})" for i in range(KNOBS)]
    floats = [f"k{i}" for i in range(KNOBS)]

    def source() -> str:
        if rng.random() < 0.1:
            return rng.choice(floats[:KNOBS])
        return rng.choice(floats[-recent:])

    for index in range(nodes - KNOBS - 2):
        roll = rng.random()
        if roll < 0.8:
            lines.append(f"n{index} = math(op_type: {rng.randrange(3)}, a: {source()}, b: {source()})")
            floats.append(f"n{index}")
        elif roll < 0.9:
            lines.append(f"n{index} = vec3(0: {source()}, 1: {source()}, 2: 0.5)")
        else:
            lines.append(f"n{index} = box(size: {source()})")
    lines.append(f"output(input: box(size: {source()}))")
    return "\n".join(lines)


def plan_time(text: str, library, info, policy: str, repeat: int) -> tuple[float, float, object]:
    """Best seconds of the passes and of the planner, and the plan."""
    program = parse(text, "generated.ndg")
    passes = planner = math.inf
    for _ in range(repeat):
        with cycle_collection_paused():  # as compile_text plans
            started = time.perf_counter()
            graph, diagnostics = analyse(program, library)
            assert not diagnostics, diagnostics
            analysed = time.perf_counter()
            plan = plan_graph(graph, graph_shapes(graph), info, policy=policy)
            finished = time.perf_counter()
        passes, planner = min(passes, analysed - started), min(planner, finished - analysed)
    return passes, planner, plan


def planning_table(sizes, repeat, library, info, console):
    table = Table(title=f"planning time on generated graphs (best of {repeat})")
    for column in ("nodes", "policy", "passes s", "planner s", "total s", "µs per node",
                   "total / (n log n), 1k row = 1", "slot bytes", "peak live B", "reuse area / peak"):
        table.add_column(column, justify="right")
    first = {}
    for nodes in sizes:
        text = generated_graph(nodes)
        for policy in ("keep", "reuse"):
            passes, planner, plan = plan_time(text, library, info, policy, repeat)
            seconds = passes + planner
            per_nlogn = seconds / (nodes * math.log2(nodes))
            first.setdefault(policy, per_nlogn)
            ratio = f"{slot_area_bytes(plan) / plan.peak_live_bytes:.4f}" if policy == "reuse" else ""
            table.add_row(f"{nodes:,}", policy, f"{passes:.3f}", f"{planner:.3f}", f"{seconds:.3f}",
                          f"{1e6 * seconds / nodes:.1f}", f"{per_nlogn / first[policy]:.2f}", f"{slot_bytes(plan):,}",
                          f"{plan.peak_live_bytes:,}", ratio)
    console.print(table)


def shapes_table(library, info, console, nodes: int = 5000):
    table = Table(title=f"`reuse` against the peak of live bytes, generated graphs of {nodes:,} nodes by width")
    for column in ("inputs from the latest", "peak live B", "reuse slots B", "reuse area B", "slots / peak",
                   "area / peak", "keep slots B"):
        table.add_column(column, justify="right")
    for recent in (2, 32, 256, 1024):
        program = parse(generated_graph(nodes, recent=recent), "generated.ndg")
        graph, _ = analyse(program, library)
        shapes = graph_shapes(graph)
        reuse, keep = (plan_graph(graph, shapes, info, policy=p) for p in ("reuse", "keep"))
        table.add_row(f"{recent} floats", f"{reuse.peak_live_bytes:,}", f"{slot_bytes(reuse):,}",
                      f"{slot_area_bytes(reuse):,}", f"{slot_bytes(reuse) / reuse.peak_live_bytes:.4f}",
                      f"{slot_area_bytes(reuse) / reuse.peak_live_bytes:.4f}", f"{slot_bytes(keep):,}")
    console.print(table)


def written_bytes(runner: Runner) -> int:
    values = runner.plan.region("values").offset
    total = 0
    for step in runner.plan.steps:
        entry = values + 12 * step.output
        total += 4 * struct.unpack("<I", runner.memory.read(runner.store, entry + 8, entry + 12))[0]
    return total


def planned_bytes(plan) -> int:
    return sum(4 * plan.values[s.output].capacity for s in plan.steps)


def at_top_of_ranges(runner: Runner) -> Runner:
    """The runner with every integer and float parameter at the top of its range."""
    for param in runner.plan.params:
        if param.type in ("integer", "float") and param.max is not None:
            runner.set_param(param.name, param.max)
    return runner


def layout_and_runs(text: str, name: str):
    """Both plans, their runners run at the parameters' defaults, whether every size is known,
    and whether both layouts gave the same bytes."""
    runs = {}
    for policy in ("keep", "reuse"):
        compiled = compile_text(text, name, layout=policy)
        runner = Runner(compiled.plan, compiled.module.wasm)
        runs[policy] = (compiled.plan, runner, runner.run().tobytes())
    known = all(shape.exact for shape in graph_shapes(compiled.graph).values())
    return runs, known, runs["keep"][2] == runs["reuse"][2]


def examples_table(console):
    table = Table(title="examples: layout against the peak of live bytes, plan against what the run wrote")
    for column in ("example", "sizes known", "peak live B", "keep slots B", "reuse slots B", "reuse area B",
                   "reuse / peak", "reuse area / peak", "planned B", "written B", "planned / written",
                   "at range tops", "keep = reuse"):
        table.add_column(column, justify="right")
    for path in sorted(EXAMPLES.glob("*.ndg")):
        runs, known, same = layout_and_runs(path.read_text(), path.name)
        keep, reuse = runs["keep"][0], runs["reuse"][0]
        planned, written = planned_bytes(keep), written_bytes(runs["keep"][1])
        top = at_top_of_ranges(runs["keep"][1])
        top.run()
        table.add_row(path.name, "yes" if known else "bounded", f"{reuse.peak_live_bytes:,}", f"{slot_bytes(keep):,}",
                      f"{slot_bytes(reuse):,}", f"{slot_area_bytes(reuse):,}",
                      f"{slot_bytes(reuse) / reuse.peak_live_bytes:.4f}",
                      f"{slot_area_bytes(reuse) / reuse.peak_live_bytes:.4f}", f"{planned:,}", f"{written:,}",
                      f"{planned / written:.4f}", f"{planned / written_bytes(top):.4f}", "yes" if same else "NO")
    console.print(table)


def plant_graphs_table(console, count: int):
    """Generated plant graphs of a few sizes, with and without parameters: the worst and the mean
    of each ratio over `count` graphs."""
    table = Table(title=f"generated plant graphs ({count} of each kind): worst / mean")
    for column in ("path nodes", "parameters", "reuse / peak", "reuse area / peak", "planned / written",
                   "planned / written at range tops", "keep = reuse"):
        table.add_column(column, justify="right")
    for nodes in (4, 8, 16):
        for with_params in (False, True):
            ratios = {key: [] for key in ("reuse", "area", "defaults", "tops")}
            same = 0
            for seed in range(count):
                runs, _, agree = layout_and_runs(plant_graph(random.Random(seed), nodes, with_params), "plant.ndg")
                same += agree
                reuse, (keep, runner, _) = runs["reuse"][0], runs["keep"]
                ratios["reuse"].append(slot_bytes(reuse) / reuse.peak_live_bytes)
                ratios["area"].append(slot_area_bytes(reuse) / reuse.peak_live_bytes)
                ratios["defaults"].append(planned_bytes(keep) / written_bytes(runner))
                at_top_of_ranges(runner).run()
                ratios["tops"].append(planned_bytes(keep) / written_bytes(runner))
            table.add_row(str(nodes), "yes" if with_params else "no",
                          *(f"{max(r):.4f} / {sum(r) / len(r):.4f}" for r in ratios.values()), f"{same}/{count}")
    console.print(table)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--plants", type=int, default=20, help="generated plant graphs of each kind")
    args = parser.parse_args()
    console = Console(width=200)
    # Timings are only comparable on a quiet machine; say how busy this one was.
    console.print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the start")
    library = NodeLibrary.load()
    info = build_library(library.nodes).info
    planning_table([int(n) for n in args.sizes.split(",")], args.repeat, library, info, console)
    shapes_table(library, info, console)
    examples_table(console)
    plant_graphs_table(console, args.plants)


if __name__ == "__main__":
    main()
