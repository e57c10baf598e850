"""A sweep on Dask: the plan goes once to each worker, and variants go out in chunks sized so that
every task lasts long enough for its scheduling to be cheap, yet the chunks shrink towards the end
so that no worker is left running a long chunk while the others wait (guided self-scheduling).

The sweeping process keeps a few chunks in flight per worker thread and hands out the next one as
each comes back; a chunk's rows come back as one Arrow block, so per variant it does next to nothing.
"""

from __future__ import annotations

import math
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ndg.program import Program
from ndg.sweep_variants import Variant, manifest_schema, run_block

IN_FLIGHT_PER_THREAD = 2  # one running and one waiting, so a worker never waits for the next chunk
FIRST_CHUNK = 2  # variants per chunk until one has come back and told how long a variant takes
GUIDED_SHARES = 2  # a chunk is at most remaining / (this × worker threads), so chunks shrink at the end …
SHORTEST_SHARE = 10  # … but not below a tenth of the longest: the sweeping process spends 3-5 ms of CPU a task
TASK_SECONDS = 0.5  # the longest chunk's duration: progress (and Ctrl-C's loss) in steps of about this …
SWEEPER_TASKS_PER_SECOND = 50  # … or longer on large clusters, so that the sweeping process keeps up
FASTEST_VARIANT_SECONDS = 1e-5
LOCAL_CLUSTER = {
    # Background work Dask does in every process, which on a small machine competes with the
    # variants: a stack sample of every server's threads every 10 ms, an event loop check every 20
    # ms, a resource sample every 0.5 s and a look at each worker's memory every 0.1 s (together
    # 5 % of a core per idle process here; 1 % with these). The memory limit still holds, checked
    # once a second.
    "distributed.worker.profile.enabled": False, "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "1s", "distributed.worker.memory.monitor-interval": "1s",
    # Dask sets it to give memory back to the system sooner; it also turns off glibc's moving mmap
    # threshold, so every large array a variant decodes is a fresh mmap, faulted in page by page
    # (a plant variant cost 104 ms of CPU on a worker against 63 ms in-process). Unset, as in `ndg run`.
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
}


@dataclass(frozen=True)
class ShippedPlan:
    """What travels to each worker once: the plan, its module, and a token naming this sweep's plan."""
    plan: Any
    module: bytes
    token: str


def local_cluster(workers: int):
    """A Dask cluster on this machine: `workers` processes of one thread each, configured for sweeps."""
    import logging

    import dask
    from distributed import LocalCluster

    with dask.config.set(LOCAL_CLUSTER):
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                            dashboard_address=":0", silence_logs=logging.ERROR)


class ChunkSizes:
    """How many variants the next chunk gets, from what the chunks so far took per variant."""

    def __init__(self, threads: int):
        self.threads = threads
        self.longest_seconds = max(TASK_SECONDS, threads / SWEEPER_TASKS_PER_SECOND)
        self.variants = 0
        self.seconds = 0.0

    def learn(self, block) -> None:
        import pyarrow.compute as pc

        self.variants += block.num_rows
        self.seconds += sum(pc.sum(block.column(c)).as_py() or 0.0 for c in ("run_seconds", "write_seconds"))

    def next(self, remaining: int) -> int:
        if not self.variants:
            return min(remaining, FIRST_CHUNK)
        # A variant that fails records no time: a sweep of failures goes out in guided chunks alone.
        per_variant = max(self.seconds / self.variants, FASTEST_VARIANT_SECONDS)
        guided = math.ceil(remaining / (GUIDED_SHARES * self.threads))
        longest = max(1, int(self.longest_seconds / per_variant))
        shortest = max(1, math.ceil(self.longest_seconds / SHORTEST_SHARE / per_variant))
        return min(remaining, max(shortest, min(guided, longest)))


def run_on_dask(client, program: Program, variants: list[Variant], patterns: list[str],
                record: Callable[[Any], None]) -> None:
    """Run `variants` on `client`'s workers; `record` gets each chunk's rows as a RecordBatch."""
    from distributed import as_completed

    if not variants:
        return
    shipped = ShippedPlan(program.plan, program.module, uuid.uuid4().hex)
    # Broadcast: every worker holds the plan before the first task, so no task carries it.
    plan_future = client.scatter(shipped, broadcast=True, hash=False)
    threads = max(1, sum(client.nthreads().values()))
    sizes = ChunkSizes(threads)
    folder = str(Path.cwd())
    queued = iter(variants)
    remaining = len(variants)
    in_flight = set()
    # Results are fetched on the client's event loop as each chunk finishes, not by a call from this
    # thread afterwards: one hand-over between threads per chunk instead of three.
    running = as_completed(loop=client.loop, with_results=True)

    def submit(size: int) -> None:
        nonlocal remaining
        chunk = [next(queued) for _ in range(size)]
        remaining -= size
        future = client.submit(run_chunk, plan_future, chunk, patterns, folder, pure=False)
        in_flight.add(future)
        running.add(future)

    try:
        for _ in range(IN_FLIGHT_PER_THREAD * threads):
            if remaining:
                submit(sizes.next(remaining))
        for future, block in running:
            in_flight.discard(future)
            if future.status != "finished":
                future.result()  # raises what the task raised
            sizes.learn(block)
            if remaining:
                submit(sizes.next(remaining))
            record(block)
    finally:
        client.cancel(list(in_flight))
        client.cancel([plan_future])


_loaded = threading.local()  # per worker thread: the program of the last plan it ran, and its schema


def run_chunk(shipped: ShippedPlan, variants: list[Variant], patterns: list[str], folder: str):
    """A task on a worker: run `variants` on the plan, loaded once per worker thread."""
    from distributed import get_worker

    if getattr(_loaded, "token", None) != shipped.token:
        _loaded.program, _loaded.token = Program(shipped.plan, shipped.module), shipped.token
        _loaded.schema = manifest_schema(shipped.plan)
    return run_block(_loaded.program, variants, patterns, Path(folder), get_worker().address, _loaded.schema)
