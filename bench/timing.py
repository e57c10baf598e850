"""Timing shared by the benchmarks."""

from __future__ import annotations

import time


def best_of(action, repeats: int) -> float:
    """The shortest of `repeats` timings in seconds: the least disturbed by other processes."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        best = min(best, time.perf_counter() - started)
    return best
