"""Where regions go: an allocator that hands out aligned, disjoint regions from address 0 up."""

from __future__ import annotations

from ndg.runtime.plan import ALIGN, Region


def align(offset: int) -> int:
    return -(-offset // ALIGN) * ALIGN


class RegionAllocator:
    """Each region starts at the first aligned address after the previous one."""

    def __init__(self, start: int = 0):
        self.top = align(start)
        self.regions: list[Region] = []

    def take(self, kind: str, name: str, size: int) -> Region:
        region = Region(kind, name, self.top, size)
        self.regions.append(region)
        self.top = align(region.end)
        return region
