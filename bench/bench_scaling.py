"""Scaling benchmark: each path that was quadratic or worse on hostile input, timed at an input
size n and at 10n. A linear path takes about 10× as long (the issue's bar: ≤ 12×).

    .venv/bin/python bench/bench_scaling.py [--repeat 3]

Rows:
- size rules: `stem(amount: a)` and two `branch(amount: a)` levels (a³ paths at the top), checked
  with the item-by-item evaluation the size rules used before (`ORDERED_GROUPS_LIMIT` lifted)
  and with the limit, side by side;
- import: a Nodarium graph of n math nodes in a chain, converted to .ndg;
- validate: a plan of n steps (a chain of math nodes), validated as a loaded plan is; with every
  slot kept, and with slots reused (whose lifetimes are checked step by step).

Measured on 2 shared cores (taskset -c 1), before the fixes of issue 14 and after:

| path | n → 10n | before | after |
|---|---|---|---|
| size rules (stem + 2 branch levels) | amount 6 → 60 | 41 ms → 5.7 s (139×) | 31 ms → 80 ms (2.6×) |
| import | 2,000 → 20,000 nodes | 0.68 s → 62 s (90×) | 0.20 s → 1.8 s (8.9×) |
| validate a plan | 2,000 → 20,000 steps | 0.68 s → 124 s (182×) | 0.30 s → 2.6 s (8.8×) |

(The size-rule row's "before" is measured in the same run, with the merging limit lifted.)

Validation vectorised with numpy afterwards (the plan's fields checked and compared as arrays),
the old and the new validator interleaved in one run on the same compiled plans:

| validate a plan (kept slots) | before | after | faster |
|---|---|---|---|
| 2,000 steps | 105 ms (53 µs a step) | 17 ms (8.5 µs a step) | 6.2× |
| 20,000 steps | 974 ms (49 µs a step) | 90 ms (4.5 µs a step) | 10.9× |

Best of 7 on a busy machine, per step at 2,000 → 20,000 steps: 4.0 → 4.25 µs with slots kept
(10.6× the time for 10× the steps), 3.6 → 4.4 µs with slots reused (12.2×; the reused slots'
lifetimes are checked event by event, the one part that is not vectorised).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import best_of

from ndg.compiler import layout, sizes
from ndg.compiler.definitions import NodeLibrary
from ndg.compiler.driver import compile_text
from ndg.compiler.nodarium.interchange import import_graph
from ndg.compiler.passes import analyse
from ndg.compiler.syntax import parse
from ndg.runtime.validate import validate_plan

LIBRARY = NodeLibrary.load()


def branch_levels(amount: int) -> str:
    return (f"s = stem(amount: {amount})\na = branch(plant: s, amount: {amount})\n"
            f"b = branch(plant: a, amount: {amount})\noutput(input: b)\n")


def size_rules(amount: int, limit: int):
    graph, _ = analyse(parse(branch_levels(amount), "g.ndg"), LIBRARY)

    def run():
        saved, sizes.ORDERED_GROUPS_LIMIT = sizes.ORDERED_GROUPS_LIMIT, limit
        try:
            sizes.graph_shapes(graph)
        finally:
            sizes.ORDERED_GROUPS_LIMIT = saved
    return run


def math_chain_graph(n: int) -> dict:
    nodes = [{"id": 0, "type": "max/plantarium/output", "props": {}},
             {"id": 1, "type": "max/plantarium/box", "props": {}}]
    edges = [[1, 0, 0, "input"]]
    for index in range(n):
        nodes.append({"id": index + 2, "type": "max/plantarium/math", "props": {"op_type": 0, "b": 1}})
        edges.append([index + 2, 0, index + 1 if index else 1, "a" if index else "size"])
    return {"nodes": nodes, "edges": edges}


def importing(n: int):
    data = math_chain_graph(n)
    return lambda: import_graph(data, LIBRARY)


def math_chain_text(n: int) -> str:
    lines = ["n0 = float(value: 1)"] + [f"n{i} = math(op_type: 0, a: n{i - 1}, b: 1)" for i in range(1, n)]
    return "\n".join(lines) + f"\noutput(input: box(size: n{n - 1}))\n"


def wide_text(n: int) -> str:
    """n floats, read in turn by a chain of sums: all n outputs live at once (n²/2 live pairs)."""
    lines = [f"f{i} = float(value: {i})" for i in range(n)] + ["s1 = math(op_type: 0, a: f0, b: f1)"]
    lines += [f"s{i} = math(op_type: 0, a: s{i - 1}, b: f{i})" for i in range(2, n)]
    return "\n".join(lines) + f"\noutput(input: box(size: s{n - 1}))\n"


def compiling_wide(pairs_limit: int):
    def make(n: int):
        text = wide_text(n)

        def run():
            saved, layout.OVERLAPPING_PAIRS_LIMIT = layout.OVERLAPPING_PAIRS_LIMIT, pairs_limit
            try:
                compile_text(text, "wide.ndg", layout="reuse")
            finally:
                layout.OVERLAPPING_PAIRS_LIMIT = saved
        return run
    return make


def validating_wide(n: int):
    plan = compile_text(wide_text(n), "wide.ndg", layout="reuse").plan
    return lambda: validate_plan(plan)


def validating(policy: str):
    def make(n: int):
        plan = compile_text(math_chain_text(n), "chain.ndg", layout=policy).plan
        return lambda: validate_plan(plan)
    return make


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = [
        ("size rules, item by item (before)", "amount", 6, lambda a: size_rules(a, 10**12)),
        ("size rules, alike items merged", "amount", 6, lambda a: size_rules(a, sizes.ORDERED_GROUPS_LIMIT)),
        ("import", "nodes", 2000, importing),
        ("validate a plan", "steps", 2000, validating("keep")),
        ("validate a plan, slots reused", "steps", 2000, validating("reuse")),
        ("compile --layout reuse, outputs live at once, greedy only (before)", "floats", 600, compiling_wide(10**18)),
        ("compile --layout reuse, outputs live at once", "floats", 600, compiling_wide(layout.OVERLAPPING_PAIRS_LIMIT)),
        ("validate a plan, outputs live at once", "floats", 1000, validating_wide),
    ]
    table = Table(title="time at n and at 10n (best of runs)")
    for column in ("path", "input", "n", "time at n", "time at 10n", "ratio"):
        table.add_column(column, justify="left" if column in ("path", "input") else "right")
    for name, unit, n, make in rows:
        small = best_of(make(n), args.repeat)
        large = best_of(make(10 * n), args.repeat)
        table.add_row(name, unit, f"{n:,}", f"{small * 1e3:.1f} ms", f"{large * 1e3:.1f} ms", f"{large / small:.1f}×")
    Console().print(table)


if __name__ == "__main__":
    main()
