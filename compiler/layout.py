"""Where regions go: the fixed tables bottom-up, then the node outputs' slots under one of two
policies, with a guard region after every slot region.

A slot's lifetime runs from the step that writes it to the last step that reads it (the graph's
output to the end of the run). `keep` gives every slot a region of its own for the whole run.
`reuse` puts all slots in one shared region and lets slots whose lifetimes do not overlap share
bytes; offsets come from the "greedy by size" heuristic for offset calculation (Pisarchyk and Lee,
"Efficient Memory Management for Deep Neural Net Inference", 2020, arXiv:2001.03288, section 5;
the strategy of TensorFlow Lite's arena planner): largest slot first, each put in the smallest gap
that fits between the already placed slots whose lifetimes overlap its own, else above them all.

Every address is checked against wasm32's 4 GiB address space as it is handed out: a plan too big
for it is an error that gives the numbers, never a wrapped-around offset.
"""

from __future__ import annotations

from dataclasses import dataclass

from ndg.errors import UserError
from ndg.runtime.plan import ALIGN, GUARD_BYTES, Region

WASM32_BYTES = 1 << 32
TOO_BIG_HINT = "lower the amounts or resolutions that make the largest outputs"


def align(offset: int) -> int:
    return -(-offset // ALIGN) * ALIGN


def check_address_space(end: int, what: str) -> None:
    if end > WASM32_BYTES:
        raise UserError(f"{what} would end at byte {end:,}, past the {WASM32_BYTES:,} bytes (4 GiB) wasm32 can address",
                        TOO_BIG_HINT)


class RegionAllocator:
    """Each region starts at the first aligned address after the previous one."""

    def __init__(self, start: int = 0):
        self.top = align(start)
        self.regions: list[Region] = []

    def take(self, kind: str, name: str, size: int) -> Region:
        region = Region(kind, name, self.top, size)
        check_address_space(region.end, f"the {kind} region `{name}` ({size:,} bytes from offset {region.offset:,})")
        self.regions.append(region)
        self.top = align(region.end)
        return region


@dataclass(frozen=True)
class Slot:
    """A node's output to place: `size` bytes, live from step `start` to step `end` inclusive."""

    node: str
    size: int
    start: int
    end: int


def overlapping(slots: list[Slot]) -> list[list[int]]:
    """For each slot, the slots whose lifetimes overlap its own: a sweep over the steps, so the cost
    is the number of overlapping pairs, not the square of the number of slots."""
    last_step = max((s.end for s in slots), default=0)
    starting: list[list[int]] = [[] for _ in range(last_step + 1)]
    ending: list[list[int]] = [[] for _ in range(last_step + 1)]
    for index, slot in enumerate(slots):
        starting[slot.start].append(index)
        ending[slot.end].append(index)
    neighbours: list[list[int]] = [[] for _ in slots]
    live: set[int] = set()
    for step in range(last_step + 1):
        for index in starting[step]:
            for other in live:
                neighbours[other].append(index)
                neighbours[index].append(other)
            live.add(index)
        live.difference_update(ending[step])
    return neighbours


def greedy_by_size(slots: list[Slot]) -> list[int]:
    """Offsets (bytes, from 0) for slots sharing one region; overlapping lifetimes never share a byte."""
    neighbours = overlapping(slots)
    offsets: list[int | None] = [None] * len(slots)
    for index in sorted(range(len(slots)), key=lambda i: (-slots[i].size, slots[i].start)):
        size = slots[index].size
        taken = sorted((offsets[o], offsets[o] + slots[o].size) for o in neighbours[index]
                       if offsets[o] is not None and slots[o].size)
        best, best_gap, top = None, None, 0
        for low, high in taken:
            gap = low - top
            if gap >= size and (best_gap is None or gap < best_gap):
                best, best_gap = top, gap
            top = max(top, high)
        offsets[index] = top if best is None else best
    return offsets


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


def place_slots(allocator: RegionAllocator, slots: list[Slot], policy: str) -> list[int]:
    """Add the slot and guard regions to `allocator` under `policy`; return each slot's address."""
    for slot in slots:
        check_address_space(slot.size, f"the output of node `{slot.node}` ({slot.size:,} bytes)")
    if policy == "keep":
        addresses = []
        for slot in slots:
            addresses.append(allocator.take("slot", slot.node, slot.size).offset)
            allocator.take("guard", f"guard after `{slot.node}`", GUARD_BYTES)
        return addresses
    if policy == "reuse":
        offsets = greedy_by_size(slots)
        size = max((o + s.size for o, s in zip(offsets, slots)), default=0)
        shared = allocator.take("slot", "shared slots", size)
        allocator.take("guard", "guard after the shared slots", GUARD_BYTES)
        return [shared.offset + offset for offset in offsets]
    raise UserError(f"unknown layout policy `{policy}`", "use `keep` or `reuse`")
