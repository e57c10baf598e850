"""Compile-speed benchmark: parse, check, plan and the whole `compile_text` on generated graphs of
1k, 10k and 100k nodes; then the `.ndg` source surface's scaling rows (10× the input should cost
at most 12× the time): syntax errors, errors found by the checks, comments through `fmt`, nesting.

    taskset -c 1 .venv/bin/python bench/bench_compile.py [--sizes 1000,10000,100000] [--repeat 3] [--only stages]

The node library's module is built (or found in the build cache) before timing, so no Rust build
is timed. Graphs are those of bench_planner.py. The cycle collector is paused as `compile_text`
pauses it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_planner import generated_graph
from timing import best_of

from ndg.compiler.build import build_library
from ndg.compiler.definitions import NodeLibrary
from ndg.compiler.diagnostics import SourceErrors
from ndg.compiler.driver import check_with_shapes, compile_text, cycle_collection_paused
from ndg.compiler.formatter import format_program
from ndg.compiler.passes import analyse
from ndg.compiler.planner import plan_graph
from ndg.compiler.sizes import graph_shapes
from ndg.compiler.syntax import parse


def _stage_seconds(text: str, runs: int, library, module) -> tuple[float, float, float, float]:
    """Best seconds of parsing, checking (passes and sizes), planning, and compile_text as a whole."""
    with cycle_collection_paused():
        parse_s = best_of(lambda: parse(text, "g.ndg"), runs)
        program = parse(text, "g.ndg")
        check_s = best_of(lambda: graph_shapes(analyse(program, library)[0]), runs)
        graph, shapes = check_with_shapes(text, "g.ndg", library)
        plan_s = best_of(lambda: plan_graph(graph, shapes, module.info), runs)
    return parse_s, check_s, plan_s, best_of(lambda: compile_text(text, "g.ndg"), runs)


def stages_table(sizes, repeat, console):
    library = NodeLibrary.load()
    module = build_library(tuple(library.nodes))
    table = Table(title=f"compile stages on generated graphs, seconds (best of {repeat})")
    for column in ("nodes", "parse", "check (passes + sizes)", "plan", "compile_text end to end", "µs per node"):
        table.add_column(column, justify="right")
    for nodes in sizes:
        seconds = _stage_seconds(generated_graph(nodes), max(1, repeat if nodes < 100_000 else 1), library, module)
        table.add_row(f"{nodes:,}", *(f"{s:.3f}" for s in seconds), f"{1e6 * seconds[-1] / nodes:.1f}")
    console.print(table)


def _refused(text: str, library) -> None:
    try:
        check_with_shapes(text, "bad.ndg", library)
    except SourceErrors as errors:
        errors.render()
        return
    raise AssertionError("the input was meant to be refused")


def scaling_table(repeat, console):
    library = NodeLibrary.load()
    rows = {
        "syntax errors on one line": lambda n: "@ " * n,
        "unknown node types, one a line": lambda n: "\n".join(f"n{i} = bxo()" for i in range(n)),
        "unbound names, one a line": lambda n: "\n".join(f"n{i} = math(a: q{i})" for i in range(n)),
        "values out of range, one a line": lambda n: "\n".join(f"n{i} = math(op_type: 9)" for i in range(n)),
    }
    table = Table(title=f"the .ndg source surface: time at n and 10n (best of {repeat})")
    for column in ("input", "n", "s at n", "s at 10n", "10n / n"):
        table.add_column(column, justify="right")

    def add(name, n, action_at):
        small, large = best_of(lambda: action_at(n), repeat), best_of(lambda: action_at(10 * n), repeat)
        table.add_row(name, f"{n:,}", f"{small:.3f}", f"{large:.3f}", f"{large / small:.1f}")

    for name, make in rows.items():
        texts = {n: make(n) for n in (7_000, 70_000)}
        add(name, 7_000, lambda n, texts=texts: _refused(texts[n], library))
    comments = {n: "\n".join(f"# note {i}\na{i} = box()  # trailing {i}" for i in range(n)) for n in (800, 8_000)}
    add("fmt, commented lines", 800, lambda n: format_program(parse(comments[n])))
    console.print(table)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=("stages", "scaling"), help="Print one of the two tables.")
    args = parser.parse_args()
    console = Console(width=200)
    if args.only != "scaling":
        stages_table([int(s) for s in args.sizes.split(",")], args.repeat, console)
    if args.only != "stages":
        scaling_table(args.repeat, console)


if __name__ == "__main__":
    main()
