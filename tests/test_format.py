"""The word-format validator accepts what every node writes and rejects corrupted words."""

import numpy as np
import pytest
from conftest import load
from hypothesis import given, settings
from hypothesis import strategies as st

from ndg.runtime.abi import SCALAR_WORDS
from ndg.runtime.format import FormatError, split_items

pytestmark = pytest.mark.toolchain

# Every bulk node of the library in one graph, small enough to mutate quickly.
EVERY_NODE = """
stems = stem(amount: 2, length: 3, thickness: 0.2, resolution_curve: 4)
wavy = noise(plant: stems, scale: 2, strength: 1, seed: 3)
bent = gravity(plant: wavy, strength: 0.5)
branches = branch(plant: bent, amount: 2, resolution_curve: 4)
turned = rotate(plant: branches, axis: 1, angle: 1)
leaves = instance(plant: turned, geometry: triangle(size: 0.1), amount: 2)
cubes = instance(plant: leaves, geometry: box(size: 0.1), amount: 1, depth: 2)
output(input: cubes, resolution_circle: 3)
"""


@pytest.fixture(scope="module")
def outputs() -> dict[str, np.ndarray]:
    runner = load(EVERY_NODE)
    runner.run()
    return {step.node: runner.value(step.output) for step in runner.plan.steps
            if runner.plan.values[step.output].type not in SCALAR_WORDS}


def test_every_nodes_output_is_valid(outputs):
    assert set(outputs) == {"stems", "wavy", "bent", "branches", "turned", "leaves", "leaves.geometry", "cubes",
                            "cubes.geometry", "output"}
    for node, words in outputs.items():
        assert split_items(words), node


def _item_starts(words: np.ndarray) -> list[int]:
    starts, at = [], 2
    while at < len(words) - 2:
        starts.append(at)
        at += int(words[at + 1]) + 3
    return starts


def _header_counts(words: np.ndarray, at: int) -> list[int]:
    """Indices of the count words in the item's header: V and F of geometry, V, F, I of instances."""
    kind = int(words[at + 2])
    return [at + 3, at + 4] if kind == 1 else [at + 3, at + 4, at + 5] if kind == 2 else []


@st.composite
def corruptions(draw, outputs):
    node = draw(st.sampled_from(sorted(n for n in outputs if outputs[n][:2].tolist() == [0, 1])))
    words = outputs[node].copy()
    starts = _item_starts(words)
    how = draw(st.sampled_from(["truncate", "closing", "list closing", "header"]))
    if how == "truncate":
        return words[:draw(st.integers(1, len(words) - 1))]  # no words at all is no items: valid
    if how == "list closing":
        words[draw(st.sampled_from([-2, -1]))] = draw(st.integers(-5, 5).filter(lambda v: v != 1))
        return words
    at = draw(st.sampled_from(starts))
    if how == "header" and _header_counts(words, at):
        index = draw(st.sampled_from(_header_counts(words, at)))
        words[index] += draw(st.integers(1, 5))
        return words
    end = at + int(words[at + 1]) + 3
    words[draw(st.sampled_from([end - 2, end - 1]))] = draw(st.integers(-5, 5).filter(lambda v: v != 1))
    return words


@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_corrupted_words_are_rejected(outputs, data):
    words = data.draw(corruptions(outputs))
    with pytest.raises(FormatError):
        split_items(words)
