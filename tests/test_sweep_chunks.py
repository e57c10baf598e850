"""How `ndg sweep` cuts variants into Dask tasks: long enough that scheduling them is cheap, short
enough that progress moves, and shrinking at the end so that no worker is left alone with a long
chunk (ndg.sweep_dask.ChunkSizes)."""

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from ndg.sweep_dask import (
    FIRST_CHUNK,
    IN_FLIGHT_PER_THREAD,
    SHORTEST_SHARE,
    SWEEPER_TASKS_PER_SECOND,
    TASK_SECONDS,
    ChunkSizes,
)


def chunks(count: int, threads: int, seconds_per_variant: float) -> list[int]:
    """The chunk sizes a sweep hands out, chunks coming back in the order they went out."""
    sizes = ChunkSizes(threads)
    out: list[int] = []
    remaining = count
    for _ in range(IN_FLIGHT_PER_THREAD * threads):
        if remaining:
            out.append(sizes.next(remaining))
            remaining -= out[-1]
    for size in out:  # grows while it is walked: each chunk back lets the next one out
        sizes.learn(pa.record_batch({"run_seconds": [seconds_per_variant * 0.25] * size,
                                     "write_seconds": [seconds_per_variant * 0.75] * size}))
        if remaining:
            out.append(sizes.next(remaining))
            remaining -= out[-1]
    return out


def test_the_tree_on_two_workers_goes_out_in_half_second_chunks_that_shrink_to_fifty_milliseconds():
    # 6.5 ms a variant: 76 variants make half a second, 8 make 50 ms; in between a quarter of
    # what is left (remaining / (2 × 2 threads)).
    assert chunks(400, 2, 0.0065) == [2, 2, 2, 2, 76, 76, 60, 45, 34, 26, 19, 14, 11, 8, 8, 8, 7]


@settings(deadline=None, max_examples=40)
@given(st.integers(1, 1000), st.integers(1, 64), st.floats(1e-4, 5.0))
def test_chunks_cover_every_variant_and_last_between_the_shortest_and_longest_task(count, threads, seconds):
    sizes = chunks(count, threads, seconds)
    assert sum(sizes) == count and min(sizes) >= 1
    measured = sizes[IN_FLIGHT_PER_THREAD * threads:]
    longest = max(TASK_SECONDS, threads / SWEEPER_TASKS_PER_SECOND)
    assert all(size <= FIRST_CHUNK for size in sizes[:IN_FLIGHT_PER_THREAD * threads])
    assert all(size * seconds <= longest or size == 1 for size in measured)
    # Only the very last chunk may be shorter than the shortest task (it is what is left).
    assert all(size * seconds >= longest / SHORTEST_SHARE - seconds for size in measured[:-1])


def test_a_sweep_of_failures_which_record_no_time_goes_out_in_a_few_large_chunks():
    sizes = chunks(10000, 2, 0.0)
    assert sum(sizes) == 10000 and len(sizes) < 40
