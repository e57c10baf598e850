"""The same plans on every engine that runs ndg's module, side by side in one run: the plant, the
tree and a 10,000-step math chain, fused, under

- ndg's runtime (wasmtime with its default bound, the stop checks),
- wasmtime with no bound at all, and with fuel (`--budget`),
- V8 (Node) running the same module, loaded by the JavaScript runtime (web/src): its `ndg_run`
  alone, one call per node instead, and the runtime's complete `run` (with its checks after it),
- a native x86-64 build of the same generated crate on the same memory image (ndg/native.py), for
  the baseline x86-64 CPU (SSE2: the yardstick, as Rust builds by default) and tuned for this CPU
  (`-C target-cpu=native`: AVX2 and more, as wasmtime's and V8's compilers use them),

every result checked byte-identical before timing; engines take turns batch by batch, and each
keeps its best run. Ratios are to the native build. wasmtime is timed through ndg's `Runner.run`
(its after-run checks included, as users call it), through its `ndg_run` call alone
(`Runner.call_module`, a diagnostic: the deadline armed and the run numbered first, about 0.5 µs
of Python), and timed in C around that call alone (`Runner.fused_time(with_call=True)`), as V8's
is timed in JavaScript around its call; the native build through one call from C
(`ndg.runtime.direct_call`, as the runtime calls wasmtime).

Run: taskset -c 1 .venv/bin/python bench/bench_engines.py [--rounds N] [--batch N]
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench_metering import without_bounds
from bench_runtime import ROOT, math_chain
from rich.console import Console
from rich.table import Table
from timing import best_of

from ndg.compiler.driver import Compiled, compile_text, read_source
from ndg.native import NativeRunner, native_library
from ndg.runtime.engine import Runner
from ndg.runtime.plan import encode_plan

NATIVE = "native x86-64 build, same crate"
TUNED = "native build tuned for this CPU (target-cpu=native)"
# The V8 columns' modes (bench/engines-v8.mjs): the module's ndg_run alone, and the JS runtime's run.
V8 = {"V8 (Node), same module": "call", "V8, one call per node (seed 000's design)": "per-node",
      "V8, the JS runtime's complete run": "run"}
CHAIN = "10,000-step chain"
IN_C = "ndg_run alone: wasmtime, default deadline, timed in C"


class V8Engine:
    """The V8 column: one Node process holding every plan, asked to time them in turn."""

    def __init__(self, plans: list[Path]):
        self.process = subprocess.Popen(["node", str(ROOT / "bench" / "engines-v8.mjs"), *map(str, plans)],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(self, *words) -> str:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(" ".join(map(str, words)) + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def close(self) -> None:
        assert self.process.stdin
        self.process.stdin.close()
        self.process.wait()


def graphs() -> dict[str, Compiled]:
    compiled = {name.removesuffix(".ndg"): compile_text(read_source(ROOT / "examples" / name), name)
                for name in ("plant.ndg", "tree.ndg")}
    compiled[CHAIN] = compile_text(math_chain(10_000), "chain.ndg")
    return compiled


def python_engines(compiled: Compiled) -> tuple[dict[str, Callable], dict[str, Callable]]:
    """The engines of this process: functions that run the plan once and return its words, and
    the module calls alone (checked through the runners the first ones use)."""
    plan, module = compiled.plan, compiled.module.wasm
    default = Runner(plan, module)
    with without_bounds():
        unbounded = Runner(plan, module)
    fuel = Runner(plan, module, budget=10**12)
    native = NativeRunner(default, native_library(plan))
    tuned = NativeRunner(default, native_library(plan, tuned=True))
    complete = {"ndg fused (wasmtime, default deadline)": functools.partial(default.run, full=True),
                "wasmtime, no bound": functools.partial(unbounded.run, full=True),
                "wasmtime, fuel (--budget)": functools.partial(fuel.run, full=True),
                TUNED: tuned.run, NATIVE: native.run}
    calls = {"ndg_run alone: wasmtime, default deadline": default.call_module,
             "ndg_run alone: wasmtime, no bound": unbounded.call_module}
    return complete, calls


def timed_in_c(compiled: Compiled) -> Callable[[int], float]:
    """wasmtime's `ndg_run` with the default deadline's code, timed in C around the call (the
    host call's own cost kept in), as engines-v8.mjs times V8's in JavaScript: the best of a batch
    in seconds."""
    runner = Runner(compiled.plan, compiled.module.wasm)
    return lambda batch: runner.fused_time(batch, with_call=True) / 1e9


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30, help="turns each engine takes per graph")
    parser.add_argument("--batch", type=int, default=10, help="runs per turn")
    options = parser.parse_args()
    compiled = graphs()
    both = {name: python_engines(graph) for name, graph in compiled.items()}
    in_c = {name: timed_in_c(graph) for name, graph in compiled.items()}
    engines = {name: complete for name, (complete, _) in both.items()}
    with tempfile.TemporaryDirectory() as folder:
        plan_files = [Path(folder) / f"{index}.ndp" for index in range(len(compiled))]
        for path, graph in zip(plan_files, compiled.values()):
            path.write_bytes(encode_plan(graph.plan, graph.module.wasm))
        v8 = V8Engine(plan_files)
        try:
            for index, (name, by_engine) in enumerate(engines.items()):
                digests = {engine: hashlib.sha256(run().tobytes()).hexdigest() for engine, run in by_engine.items()}
                digests["V8"] = v8.ask("digest", index)
                assert len(set(digests.values())) == 1, f"{name}: the engines disagree: {digests}"
            timed = {name: {**complete, **calls} for name, (complete, calls) in both.items()}
            best = {name: dict.fromkeys([*by_engine, IN_C, *V8], float("inf")) for name, by_engine in timed.items()}
            for _ in range(options.rounds):
                for index, (name, by_engine) in enumerate(timed.items()):
                    for engine, run in by_engine.items():
                        best[name][engine] = min(best[name][engine], best_of(run, options.batch))
                    best[name][IN_C] = min(best[name][IN_C], in_c[name](options.batch))
                    for engine, mode in V8.items():
                        took = float(v8.ask("time", index, options.batch, mode)) / 1000
                        best[name][engine] = min(best[name][engine], took)
        finally:
            v8.close()
    table = Table(title=f"complete fused run, best of {options.rounds}×{options.batch} "
                        "(ratio to the native build); every engine's bytes identical")
    table.add_column("engine")
    for name in compiled:
        table.add_column(name, justify="right")
    engines = [engine for engine in next(iter(best.values())) if engine not in (TUNED, NATIVE)]
    for engine in [*engines, TUNED, NATIVE]:
        table.add_row(engine, *(cell(name, best[name][engine], best[name][NATIVE]) for name in compiled))
    Console(width=200).print(table)


def cell(graph: str, took: float, native: float) -> str:
    amount = f"{took * 1e9 / 10_000:.2f} ns/step" if graph == CHAIN else f"{took * 1e3:.4f} ms"
    return f"{amount} ({took / native:.2f}×)"


if __name__ == "__main__":
    main()
