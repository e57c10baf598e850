"""Planner benchmark: planning time on generated graphs, `reuse` layout size against the peak of
live bytes, and planned against written bytes on every example. Prints one table per question.

    .venv/bin/python bench/bench_planner.py [--sizes 1000,10000,100000] [--repeat 5]

Planning time is the passes plus the planner (sizes, lifetimes, offsets, memory map) over an
already parsed graph, with the cycle collector paused as `compile_text` does, against the node
library's module built once (its ModuleInfo reused), so no Rust build and no parsing are timed. Generated graphs are DAGs of the nodes that exist: chains of
math nodes reading the recent floats and a few graph-wide knobs, vec3s, and boxes sized by them.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import struct
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
from ndg.compiler.syntax import parse
from ndg.runtime.engine import Runner

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
            plan = plan_graph(graph, info, policy=policy)
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
        reuse, keep = (plan_graph(graph, info, policy=p) for p in ("reuse", "keep"))
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


def examples_table(console):
    table = Table(title="examples: layout against the peak of live bytes, plan against what the run wrote")
    for column in ("example", "peak live B", "keep slots B", "reuse slots B", "reuse area B", "reuse / peak",
                   "reuse area / peak", "planned B", "written B", "planned / written", "keep = reuse"):
        table.add_column(column, justify="right")
    for path in sorted(EXAMPLES.glob("*.ndg")):
        runs = {}
        for policy in ("keep", "reuse"):
            compiled = compile_text(path.read_text(), path.name, layout=policy)
            runner = Runner(compiled.plan, compiled.module.wasm)
            runs[policy] = (compiled.plan, runner, runner.run().tobytes())
        keep, reuse = runs["keep"][0], runs["reuse"][0]
        planned = sum(4 * keep.values[s.output].capacity for s in keep.steps)
        written = written_bytes(runs["keep"][1])
        table.add_row(path.name, f"{reuse.peak_live_bytes:,}", f"{slot_bytes(keep):,}", f"{slot_bytes(reuse):,}",
                      f"{slot_area_bytes(reuse):,}", f"{slot_bytes(reuse) / reuse.peak_live_bytes:.4f}",
                      f"{slot_area_bytes(reuse) / reuse.peak_live_bytes:.4f}", f"{planned:,}", f"{written:,}",
                      f"{planned / written:.4f}", "yes" if runs["keep"][2] == runs["reuse"][2] else "NO")
    console.print(table)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    console = Console(width=200)
    # Timings are only comparable on a quiet machine; say how busy this one was.
    console.print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at the start")
    library = NodeLibrary.load()
    info = build_library(library.nodes).info
    planning_table([int(n) for n in args.sizes.split(",")], args.repeat, library, info, console)
    shapes_table(library, info, console)
    examples_table(console)


if __name__ == "__main__":
    main()
