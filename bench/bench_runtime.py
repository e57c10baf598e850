"""Runtime benchmarks, printed as tables (numbers measured side by side in one run).

1. Per-step cost of fused replay (one host call for the whole step table) against stepped replay
   (one host call per step) on a chain of 10,000 math nodes cycling through add, subtract and
   multiply; fused on the same chain adding throughout (no data-dependent branch in the node) and
   on a chain of pass-through nodes (the dispatcher's floor); one empty host call, as the runtime
   makes it (timed in C around the call, as `--profile` times a step) and as wasmtime-py's
   `Func.__call__` would.
2. Time from process start to result for `ndg run PLAN.ndp`, with the compiled-code cache cold
   and warm.
3. Resident memory (RSS) and wasm memory before and after 10,000 runs of each example.

Run: .venv/bin/python bench/bench_runtime.py [--chain N] [--runs N]
"""

from __future__ import annotations

import argparse
import functools
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import wasmtime
from rich.console import Console
from rich.table import Table
from timing import best_of

from ndg.compiler.driver import compile_text, read_source
from ndg.runtime.engine import Runner
from ndg.runtime.plan import save_plan
from ndg.runtime.sandbox import untrusted_code, untrusted_engine

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ("basics.ndg", "plant.ndg")


def math_chain(length: int, ops: int = 3) -> str:
    """Math nodes in a chain, cycling through the first `ops` operations (add, subtract, multiply)."""
    lines = ["n0 = float(value: 1)"]
    lines += [f"n{i} = math(op_type: {i % ops}, a: n{i - 1}, b: 1.0001)" for i in range(1, length)]
    lines.append(f"output(input: box(size: n{length - 1}))")
    return "\n".join(lines)


def pass_through_chain(length: int) -> str:
    """Nodes that copy one float: what remains per step is the dispatcher's own work."""
    lines = ["n0 = float(value: 1)"]
    lines += [f"n{i} = float(value: n{i - 1})" for i in range(1, length)]
    lines.append(f"output(input: box(size: n{length - 1}))")
    return "\n".join(lines)


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def replay_table(runner: Runner, adding: Runner, pass_through: Runner) -> Table:
    steps = len(runner.plan.steps)
    fused, one_op, floor = (best_of(functools.partial(r.run, full=True), 200) for r in (runner, adding, pass_through))
    stepped = best_of(lambda: runner.run(stepped=True, full=True), 5)
    empty = runner.call_cost(200) / 1e9
    run_export = runner.instance.exports(runner.store)["ndg_run"]
    control = runner.plan.region("control").offset
    wasmtime_py = best_of(lambda: run_export(runner.store, control, 0, 0), 200)
    table = Table(title=f"replay of a {steps}-step math chain (best of several runs)")
    for column in ("mode", "host calls", "per run", "per step"):
        table.add_column(column, justify="right" if column != "mode" else "left")
    table.add_row("fused", "1", f"{fused * 1e3:.3f} ms", f"{fused / steps * 1e9:.1f} ns")
    table.add_row("fused, adding throughout", "1", f"{one_op * 1e3:.3f} ms", f"{one_op / steps * 1e9:.1f} ns")
    table.add_row("fused, pass-through chain", "1", f"{floor * 1e3:.3f} ms",
                  f"{floor / len(pass_through.plan.steps) * 1e9:.1f} ns")
    table.add_row("stepped", f"{steps}", f"{stepped * 1e3:.1f} ms", f"{stepped / steps * 1e9:.0f} ns")
    table.add_row("empty host call, timed in C around it", "1", f"{empty * 1e6:.3f} µs", "")
    table.add_row("empty host call via wasmtime-py's Func", "1", f"{wasmtime_py * 1e6:.1f} µs", "")
    table.caption = (f"fused is {stepped / fused:.0f}× faster than stepped; a stepped step costs "
                     f"{(stepped - fused) / steps * 1e9:.0f} ns more than a fused one: its host call, made from C "
                     "(runtime/direct_call.c) with nothing of the runner's around it")
    return table


def startup_table(plan_path: Path, module: bytes) -> Table:
    table = Table(title=f"`ndg run {plan_path.name}`: process start to result")
    table.add_column("what")
    table.add_column("wall time", justify="right")
    with tempfile.TemporaryDirectory() as cache:
        command = [str(Path(sys.executable).parent / "ndg"), "run", str(plan_path), "-q",
                   "-o", str(Path(cache) / "result.bin")]
        environment = {**os.environ, "NDG_CACHE_DIR": cache}

        def start():
            subprocess.run(command, env=environment, check=True, capture_output=True)
        cold = best_of(start, 1)
        warm = best_of(start, 5)
        engine = untrusted_engine("deadline")
        [compiled_file] = (Path(cache) / "compiled").glob("*.cwasm")  # what the cold run wrote
        checked = untrusted_code("deadline", module)
        rewrite_only = best_of(lambda: untrusted_code("deadline", module), 3)
        compile_only = best_of(lambda: wasmtime.Module(engine, checked), 3)
        deserialize_only = best_of(lambda: wasmtime.Module.deserialize_file(engine, str(compiled_file)), 3)
    python_only = best_of(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True), 5)
    table.add_row("ndg run, compiled-code cache cold", f"{cold * 1e3:.0f} ms")
    table.add_row("ndg run, compiled-code cache warm", f"{warm * 1e3:.0f} ms")
    table.add_row("  of which: validating it and adding stop checks (cold)", f"{rewrite_only * 1e3:.1f} ms")
    table.add_row("  of which: compiling the module (cold)", f"{compile_only * 1e3:.1f} ms")
    table.add_row("  of which: deserializing its machine code (warm)", f"{deserialize_only * 1e3:.1f} ms")
    table.add_row("  for scale: python -c pass", f"{python_only * 1e3:.0f} ms")
    return table


def memory_table(runners: dict[str, Runner], runs: int) -> Table:
    table = Table(title=f"memory before and after {runs:,} runs")
    for column in ("graph", "steps", "RSS before", "RSS after", "change", "wasm memory before → after"):
        table.add_column(column, justify="left" if column == "graph" else "right")
    for name, runner in runners.items():
        for _ in range(100):  # warm up: first-run allocations are not per-run costs
            runner.run(full=True)
        before, pages_before = rss_bytes(), runner.memory.data_len(runner.store)
        for _ in range(runs):
            runner.run(full=True)
        after, pages_after = rss_bytes(), runner.memory.data_len(runner.store)
        table.add_row(name, str(len(runner.plan.steps)), f"{before / 2**20:.1f} MiB", f"{after / 2**20:.1f} MiB",
                      f"{(after - before) / 1024:+.0f} KiB", f"{pages_before // 1024} → {pages_after // 1024} KiB")
    return table


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chain", type=int, default=10_000, help="math nodes in the chain (default 10,000)")
    parser.add_argument("--runs", type=int, default=10_000, help="runs for the memory table (default 10,000)")
    options = parser.parse_args()
    console = Console()

    console.print(f"compiling a {options.chain}-node math chain …")
    chain = compile_text(math_chain(options.chain), "chain.ndg")
    chain_runner = Runner(chain.plan, chain.module.wasm)
    others = [compile_text(source, name) for source, name in ((math_chain(options.chain, ops=1), "adding.ndg"),
                                                              (pass_through_chain(options.chain), "pass_through.ndg"))]
    console.print(replay_table(chain_runner, *(Runner(c.plan, c.module.wasm) for c in others)))

    runners = {}
    with tempfile.TemporaryDirectory() as folder:
        for name in EXAMPLES:
            compiled = compile_text(read_source(ROOT / "examples" / name), name)
            runners[name] = Runner(compiled.plan, compiled.module.wasm)
            plan_path, module = Path(folder) / name.replace(".ndg", ".ndp"), compiled.module.wasm
            save_plan(plan_path, compiled.plan, module)  # the last one: the plant
        console.print(startup_table(plan_path, module))
    runners[f"chain of {options.chain}"] = chain_runner
    console.print(memory_table(runners, options.runs))


if __name__ == "__main__":
    main()
