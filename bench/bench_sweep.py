"""Variants per second to .glb for plant.ndg and tree.ndg, side by side in one run:
`ndg run --set` in a shell loop, an in-process sweep (`ndg.sweep` without a client: what run_batch
was), and `ndg.sweep` on a local Dask cluster of 1 and 2 worker processes (started before timing).
The last column is the per-variant overhead beyond run + write: wall time × workers / variants
minus the mean run and write seconds the manifest records.

Every worker process is warmed first by a short sweep (its Python imports are a once-per-process
cost, not per sweep); each timed sweep still ships and loads its plan. Rows are the best of
`--repeats` rounds, the configurations interleaved within each round.

Each example gets an integer parameter `variant` feeding one random seed, so every variant differs.

Run: taskset -c 0,1 .venv/bin/python bench/bench_sweep.py [--variants N] [--shell-runs N] [--repeats N]
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

import ndg

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
NDG = Path(sys.executable).parent / "ndg"
SEEDED = {"plant.ndg": "seed: 2)", "tree.ndg": "seed: 7)"}  # the seed each variant replaces


def variant_program(name: str):
    text = (EXAMPLES / name).read_text()
    text = "param variant: integer = 1 in 0..1000000\n" + text.replace(SEEDED[name], "seed: variant)", 1)
    return ndg.compile_string(text, name)


def shell_loop(plan: Path, runs: int, folder: Path) -> float:
    started = time.perf_counter()
    for index in range(runs):
        subprocess.run([NDG, "run", plan, "-q", "--set", f"variant={index}", "-o", folder / f"shell-{index}.glb"],
                       check=True)
    return runs / (time.perf_counter() - started)


def swept(program, count: int, folder: Path, client, label: str) -> tuple[float, float]:
    """Variants per second, and the milliseconds per variant beyond its run and write."""
    sets = [{"variant": index} for index in range(count)]
    started = time.perf_counter()
    table = ndg.sweep(program, sets, [str(folder / f"{label}-{{index:05d}}.glb")], client)
    wall = time.perf_counter() - started
    workers = 1 if client is None else len(client.nthreads())
    assert table["error"].null_count == count, "a variant failed"
    work = (sum(table["run_seconds"].to_pylist()) + sum(table["write_seconds"].to_pylist())) / count
    return count / wall, (wall * workers / count - work) * 1000


def main() -> None:
    from distributed import Client, LocalCluster

    parser = argparse.ArgumentParser()
    parser.add_argument("--variants", type=int, default=400)
    parser.add_argument("--shell-runs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    arguments = parser.parse_args()
    table = Table(title=f"variants per second to .glb ({arguments.variants} variants, best of "
                        f"{arguments.repeats}; `ndg run` loop: {arguments.shell_runs} runs)")
    for column in ("example", "ndg run loop", "in process", "1 worker", "2 workers", "2 / 1",
                   "overhead ms/variant (in process, 1, 2)"):
        table.add_column(column, justify="right")
    clusters = {n: LocalCluster(n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                                dashboard_address=":0", silence_logs=logging.ERROR) for n in (1, 2)}
    clients = {n: Client(cluster) for n, cluster in clusters.items()}
    try:
        with tempfile.TemporaryDirectory() as temporary:
            folder = Path(temporary)
            for name in SEEDED:
                program = variant_program(name)
                plan = folder / f"{name}.ndp"
                program.save(plan)
                shell = shell_loop(plan, arguments.shell_runs, folder)
                for client in clients.values():
                    swept(program, 20, folder, client, "warm")
                best: dict[str, tuple[float, float]] = {}
                for _ in range(arguments.repeats):
                    for label, client in (("here", None), ("one", clients[1]), ("two", clients[2])):
                        rate, overhead = swept(program, arguments.variants, folder, client, label)
                        if rate > best.get(label, (0.0, 0.0))[0]:
                            best[label] = (rate, overhead)
                (here, here_overhead), (one, one_overhead), (two, two_overhead) = (
                    best["here"], best["one"], best["two"])
                table.add_row(name, f"{shell:.1f}", f"{here:.1f}", f"{one:.1f}", f"{two:.1f}", f"{two / one:.2f}×",
                              f"{here_overhead:.2f}, {one_overhead:.2f}, {two_overhead:.2f}")
    finally:
        for n in clusters:
            clients[n].close()
            clusters[n].close()
    Console().print(table)


if __name__ == "__main__":
    main()
