"""Where regions go: the fixed tables bottom-up, then the node outputs' slots under one of two
policies, with a guard region after every slot region.

A slot's lifetime runs from the step that writes it to the last step that reads it (the graph's
output to the end of the run). `keep` gives every slot a region of its own for the whole run.
`reuse` puts all slots in one shared region and lets slots whose lifetimes do not overlap share
bytes; offsets come from the "greedy by size" heuristic for offset calculation (Pisarchyk and Lee,
"Efficient Memory Management for Deep Neural Net Inference", 2020, arXiv:2001.03288, section 5;
the strategy of TensorFlow Lite's arena planner): largest slot first, each put in the smallest gap
that fits between the already placed slots whose lifetimes overlap its own, else above them all.
When that ends more than 1% above the peak of live bytes (no layout can be smaller), a short
seeded search over other placement orders keeps the smallest layout it finds.

Every address is checked against wasm32's 4 GiB address space as it is handed out: a plan too big
for it is an error that gives the numbers, never a wrapped-around offset.
"""

from __future__ import annotations

import bisect
import heapq
import random
from dataclasses import dataclass

from ndg.errors import UserError
from ndg.runtime.abi import ALIGN, GUARD_BYTES, RegionKind, SlotPolicy
from ndg.runtime.plan import Region

WASM32_BYTES = 1 << 32
TOO_BIG_HINT = "lower the amounts or resolutions that make the largest outputs"


def align(offset: int) -> int:
    return -(-offset // ALIGN) * ALIGN


def too_big(end: int, what: str) -> UserError:
    return UserError(f"{what} would end at byte {end:,}, past the {WASM32_BYTES:,} bytes (4 GiB) wasm32 can address",
                     TOO_BIG_HINT)


class RegionAllocator:
    """Each region starts at the first aligned address after the previous one."""

    def __init__(self, start: int = 0):
        self.top = align(start)
        self.regions: list[Region] = []

    def take(self, kind: RegionKind, name: str, size: int) -> Region:
        region = Region(kind, name, self.top, size)
        if region.end > WASM32_BYTES:
            raise too_big(region.end, f"the {kind} region `{name}` ({size:,} bytes from offset {region.offset:,})")
        self.regions.append(region)
        self.top = align(region.end)
        return region


    def take_at(self, kind: RegionKind, name: str, offset: int, size: int) -> Region:
        """A region at a fixed, aligned offset at or above the top; the gap below it stays unused."""
        if offset < self.top or offset % ALIGN:
            raise ValueError(f"region `{name}` cannot start at {offset}: the top is {self.top}")
        self.top = offset
        return self.take(kind, name, size)


@dataclass(frozen=True)
class Slot:
    """A node's output to place: `size` bytes, live from step `start` to step `end` inclusive."""

    node: str
    size: int
    start: int
    end: int


def earlier_overlapping(slots: list[Slot], rank: list[int]) -> list[list[int]]:
    """For each slot, the slots of lower rank whose lifetimes overlap its own: a sweep over the
    steps, so the cost is the number of overlapping pairs, not the square of the number of slots."""
    last_step = max((s.end for s in slots), default=0)
    starting: list[list[int]] = [[] for _ in range(last_step + 1)]
    ending: list[list[int]] = [[] for _ in range(last_step + 1)]
    for index, slot in enumerate(slots):
        if slot.size:
            starting[slot.start].append(index)
            ending[slot.end].append(index)
    before: list[list[int]] = [[] for _ in slots]
    live: set[int] = set()
    for step in range(last_step + 1):
        for index in starting[step]:
            mine = rank[index]
            for other in live:
                if rank[other] < mine:
                    before[index].append(other)
                else:
                    before[other].append(index)
            live.add(index)
        live.difference_update(ending[step])
    return before


def place_in_order(slots: list[Slot], order: list[int]) -> list[int]:
    """Offsets (bytes, from 0) for slots sharing one region, placed one by one in `order`, each
    in the smallest gap that fits; overlapping lifetimes never share a byte."""
    rank = [0] * len(slots)
    for position, index in enumerate(order):
        rank[index] = position
    before = earlier_overlapping(slots, rank)
    sizes = [slot.size for slot in slots]
    offsets = [0] * len(slots)
    for index in order:
        size = sizes[index]
        best, best_gap, top = None, None, 0
        for low, high in sorted([(offsets[o], offsets[o] + sizes[o]) for o in before[index]]):
            gap = low - top
            if gap >= size and (best_gap is None or gap < best_gap):
                best, best_gap = top, gap
            if high > top:
                top = high
        offsets[index] = top if best is None else best
    return offsets


def size_order(slots: list[Slot]) -> list[int]:
    return sorted(range(len(slots)), key=lambda i: (-slots[i].size, slots[i].start))


def greedy_by_size(slots: list[Slot]) -> list[int]:
    """Offsets placing the largest slot first."""
    return place_in_order(slots, size_order(slots))


def extent(slots: list[Slot], offsets: list[int]) -> int:
    return max((o + s.size for o, s in zip(offsets, slots)), default=0)


# Greedy by size is kept when it is within 1% of the peak of live bytes. Otherwise other orders
# are tried: the size order with a few neighbours swapped, and shuffles, seeded so that a graph
# always gets the same plan; the search places at most SEARCH_PLACEMENTS slots in all, so it
# costs nothing on big graphs (where greedy by size is close to the peak anyway).
CLOSE_TO_PEAK = 1.01
SEARCH_PLACEMENTS = 200_000
SEARCH_ORDERS = 64


# Greedy by size costs one step per pair of slots live together: quadratic when a graph keeps
# many outputs live at once (ten thousand `float`s summed in turn). Past this many pairs (about
# two seconds of placing), slots are placed by lifetime instead, in linear time.
OVERLAPPING_PAIRS_LIMIT = 2_000_000


def overlapping_pairs(slots: list[Slot]) -> int:
    """How many pairs of non-empty slots have overlapping lifetimes, counted without listing them:
    each slot overlaps those live when it starts that started before it."""
    sized = sorted((s.start, s.end) for s in slots if s.size)
    ends = sorted(end for _, end in sized)
    pairs = 0
    for started_before, (start, _) in enumerate(sized):
        pairs += started_before - bisect.bisect_left(ends, start)
    return pairs


def by_lifetime(slots: list[Slot]) -> list[int]:
    """Offsets placing slots as they start, each in a freed block of its exact size if one is
    free (slots that ended at an earlier step), else above every block so far. Graphs that keep
    many outputs live at once have few distinct slot sizes, which is what this relies on."""
    offsets, top = [0] * len(slots), 0
    free: dict[int, list[int]] = {}
    live: list[tuple[int, int]] = []  # a heap of (last step, slot)
    for index in sorted(range(len(slots)), key=lambda i: slots[i].start):
        slot = slots[index]
        if not slot.size:
            continue
        while live and live[0][0] < slot.start:
            ended = heapq.heappop(live)[1]
            free.setdefault(slots[ended].size, []).append(offsets[ended])
        blocks = free.get(slot.size)
        if blocks:
            offsets[index] = blocks.pop()
        else:
            offsets[index], top = top, top + slot.size
        heapq.heappush(live, (slot.end, index))
    return offsets


def reuse_offsets(slots: list[Slot]) -> list[int]:
    """Offsets for the shared region: the smallest layout found, greedy by size first (by
    lifetime when greedy by size would take too long)."""
    if overlapping_pairs(slots) > OVERLAPPING_PAIRS_LIMIT:
        return by_lifetime(slots)
    order = size_order(slots)
    best = place_in_order(slots, order)
    best_extent, peak = extent(slots, best), peak_live_bytes(slots)
    rng = random.Random(0)
    for attempt in range(min(SEARCH_ORDERS, SEARCH_PLACEMENTS // max(len(slots), 1))):
        if best_extent <= CLOSE_TO_PEAK * peak:
            break
        candidate = order[:]
        if attempt % 2:
            rng.shuffle(candidate)
        else:
            for _ in range(3):
                i = rng.randrange(len(candidate) - 1)
                candidate[i], candidate[i + 1] = candidate[i + 1], candidate[i]
        offsets = place_in_order(slots, candidate)
        if extent(slots, offsets) < best_extent:
            best, best_extent = offsets, extent(slots, offsets)
    return best


def peak_live_bytes(slots: list[Slot]) -> int:
    """The most bytes live at any one step: no layout of these slots can be smaller."""
    last_step = max((s.end for s in slots), default=0)
    change = [0] * (last_step + 2)
    for slot in slots:
        change[slot.start] += slot.size
        change[slot.end + 1] -= slot.size
    peak = live = 0
    for delta in change:
        live += delta
        peak = max(peak, live)
    return peak


def slot_policy(name: str) -> SlotPolicy:
    """The slot policy called `name`, as a front end was given it."""
    if name not in frozenset(SlotPolicy):
        raise UserError(f"unknown layout policy `{name}`", f"use {' or '.join(f'`{p}`' for p in SlotPolicy)}")
    return SlotPolicy(name)


def place_slots(allocator: RegionAllocator, slots: list[Slot], policy: SlotPolicy) -> list[int]:
    """Add the slot and guard regions to `allocator` under `policy`; return each slot's address."""
    for slot in slots:
        if slot.size > WASM32_BYTES:
            raise too_big(slot.size, f"the output of node `{slot.node}` ({slot.size:,} bytes)")
    if policy == SlotPolicy.KEEP:
        addresses = []
        for slot in slots:
            addresses.append(allocator.take(RegionKind.SLOT, slot.node, slot.size).offset)
            allocator.take(RegionKind.GUARD, f"guard after `{slot.node}`", GUARD_BYTES)
        return addresses
    offsets = reuse_offsets(slots)
    size = extent(slots, offsets)
    shared = allocator.take(RegionKind.SLOT, "shared slots", size)
    allocator.take(RegionKind.GUARD, "guard after the shared slots", GUARD_BYTES)
    return [shared.offset + offset for offset in offsets]
