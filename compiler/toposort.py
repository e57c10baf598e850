"""A topological order that a person can predict: ties are broken by the order things were written."""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Iterable, Mapping


def stable_order(items: Iterable[Hashable], depends_on: Mapping[Hashable, Iterable[Hashable]]):
    """`items` ordered so that each comes after everything it depends on, earlier-written first
    among those that are ready (Kahn's algorithm with a heap, O(n log n)). Returns the order and the
    items left over, which sit on or behind a cycle."""
    items = list(items)
    position = {item: i for i, item in enumerate(items)}
    users: dict = {item: [] for item in items}
    waiting = {}
    for item in items:
        needs = set(depends_on.get(item, ()))
        waiting[item] = len(needs)
        for need in needs:
            users[need].append(item)
    ready = [(position[item], item) for item in items if waiting[item] == 0]
    heapq.heapify(ready)
    ordered = []
    while ready:
        _, item = heapq.heappop(ready)
        ordered.append(item)
        for user in users[item]:
            waiting[user] -= 1
            if waiting[user] == 0:
                heapq.heappush(ready, (position[user], user))
    return ordered, [item for item in items if waiting[item] > 0]
