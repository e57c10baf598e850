"""Names for a result's items after the graph's nodes, for files that name what they hold (glTF, USD).

An item is named after the first node (in run order) whose output holds exactly its words: a
stem's path keeps the name of the node that last changed it (`wavy`, `drooping`), an instance block
the `instance` node's, a box the `box` node's. The tube the output node draws around a path is
named after that path (`drooping tube`). Several items of one name are numbered (`limbs 0`, …).
Without a run to look into, items are named by kind and number (`geometry0`, `path3`).
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from ndg.runtime.format import GEOMETRY, INSTANCES, KIND_NAMES, PATH, FormatError, split_items

KIND_KEYS = {GEOMETRY: "geometry", INSTANCES: "instances", PATH: "paths"}


def default_names(words: np.ndarray) -> dict[str, list[str]]:
    names: dict[str, list[str]] = {key: [] for key in KIND_KEYS.values()}
    for item in split_items(np.asarray(words, dtype="<i4")):
        key = KIND_KEYS[item.kind]
        names[key].append(f"{KIND_NAMES[item.kind]}{len(names[key])}")
    return names


def node_names(runner) -> dict[str, list[str]] | None:
    """Names for the items of `runner`'s last result, from the nodes whose outputs hold them; None
    when the result is not an item list."""
    plan = runner.plan
    try:
        result = split_items(np.asarray(runner.value(plan.output), dtype="<i4"))
    except FormatError:
        return None
    wanted = {item.words.tobytes(): None for item in result}
    for step in plan.steps:
        value = plan.values[step.output]
        held = plan.layout == "keep" or value.live_until == len(plan.steps)
        if step.output == plan.output or not held:
            continue
        try:
            items = split_items(np.asarray(runner.value(step.output), dtype="<i4"))
        except FormatError:  # a scalar or a value of another type
            continue
        for item in items:
            key = item.words.tobytes()
            if key in wanted and wanted[key] is None:
                wanted[key] = step.node
    output_node = next(s.node for s in plan.steps if s.output == plan.output)
    bases, previous = [], None
    for item in result:
        base = wanted[item.words.tobytes()]
        if base is None:
            base = f"{previous} tube" if item.kind == GEOMETRY and previous is not None else output_node
        bases.append(base)
        previous = base if item.kind == PATH else None
    totals, seen = Counter(bases), Counter[str]()
    names: dict[str, list[str]] = {key: [] for key in KIND_KEYS.values()}
    for item, base in zip(result, bases):
        names[KIND_KEYS[item.kind]].append(f"{base} {seen[base]}" if totals[base] > 1 else base)
        seen[base] += 1
    return names
