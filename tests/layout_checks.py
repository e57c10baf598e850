"""Checks of a plan's layout and of what a run left in memory, shared by the layout and planner tests."""

from __future__ import annotations

import itertools
import struct

from ndg.runtime.abi import ALIGN, GUARD_BYTES, GUARD_WORD, PAGE_BYTES


def lifetime(plan, index: int) -> tuple[int, int]:
    value = plan.values[index]
    return (0, len(plan.steps)) if plan.layout == "keep" else (value.producer, value.live_until)


def assert_layout_is_sound(plan):
    memory = plan.memory_pages * PAGE_BYTES
    regions = sorted(plan.regions, key=lambda r: r.offset)
    assert regions[0].kind == "static" and regions[0].offset == 0
    for region in regions:
        assert region.offset % ALIGN == 0 and region.end <= memory
    for before, after in itertools.pairwise(regions):
        assert before.end <= after.offset, (before, after)
    slots = [i for i, v in enumerate(plan.values) if v.words is None]
    params = {p.value for p in plan.params}
    for index, value in enumerate(plan.values):
        holders = [r.kind for r in regions if r.offset <= value.offset and value.offset + 4 * value.capacity <= r.end]
        table = "params" if index in params else "constants"
        assert holders == ([table] if value.words is not None else ["slot"])
    for i, j in itertools.combinations(slots, 2):
        (a_start, a_end), (b_start, b_end) = lifetime(plan, i), lifetime(plan, j)
        a, b = plan.values[i], plan.values[j]
        if a_start <= b_end and b_start <= a_end and a.capacity and b.capacity:
            assert a.offset + 4 * a.capacity <= b.offset or b.offset + 4 * b.capacity <= a.offset, (i, j)
    assert sum(r.size for r in regions if r.kind == "slot") >= plan.peak_live_bytes


def written_words(runner, index: int) -> int:
    entry = runner.plan.region("values").offset + 12 * index
    return struct.unpack("<I", runner.memory.read(runner.store, entry + 8, entry + 12))[0]


def assert_guards_intact(runner):
    guards = [r for r in runner.plan.regions if r.kind == "guard"]
    assert guards
    for guard in guards:
        data = bytes(runner.memory.read(runner.store, guard.offset, guard.end))
        assert data == struct.pack("<I", GUARD_WORD) * (GUARD_BYTES // 4), guard
