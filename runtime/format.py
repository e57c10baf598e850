"""The word format of bulk values, and a validator for it.

An item is `[0, n, kind, …n-1 plain words…, 1, 1]` (kind 0 path, 1 geometry, 2 instances); a list
is `[0, 1, item…, 1, 1]`. Each item's header must agree with its length:
- path `[kind, depth, P×(x, y, z, w)]`: `n - 1 = 2 + 4P`;
- geometry `[kind, V, F, 3F faces, 3V positions, 3V normals]`: `n - 1 = 3 + 3F + 6V`;
- instances `[kind, V, F, I, depth, 3F faces, 3V positions, 3V normals, 16I matrix]`:
  `n - 1 = 5 + 3F + 6V + 16I`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PATH, GEOMETRY, INSTANCES = 0, 1, 2
KIND_NAMES = {PATH: "path", GEOMETRY: "geometry", INSTANCES: "instances"}


class FormatError(ValueError):
    """The words break the format; `at` is the index of the first offending word."""

    def __init__(self, message: str, at: int):
        super().__init__(f"{message} (word {at})")
        self.at = at


@dataclass(frozen=True)
class Item:
    kind: int
    start: int
    words: np.ndarray  # the whole item, brackets included

    @property
    def body(self) -> np.ndarray:
        return self.words[2:-2]


def _expected_body(kind: int, word: memoryview, start: int, length: int, at: int) -> int:
    """The body length the header of the item whose body is `word[start:start + length]` implies."""
    def header(count: int) -> list[int]:
        if length < count:
            raise FormatError(f"{KIND_NAMES[kind]} item is too short for its header", at)
        values = [word[start + i] for i in range(1, count)]
        if any(v < 0 for v in values):
            raise FormatError(f"{KIND_NAMES[kind]} item has a negative count", at)
        return values
    if kind == PATH:
        header(2)
        points, rest = divmod(length - 2, 4)
        if rest:
            raise FormatError("path item's points are not whole (x, y, z, w) groups", at)
        return 2 + 4 * points
    if kind == GEOMETRY:
        vertices, faces = header(3)
        return 3 + 3 * faces + 6 * vertices
    vertices, faces, instances, _depth = header(5)
    return 5 + 3 * faces + 6 * vertices + 16 * instances


def split_items(words: np.ndarray) -> list[Item]:
    """The items of a bare item or of a list, each checked against the format."""
    words = np.ascontiguousarray(words, dtype="<i4")
    # Header words are read through a memoryview: plain ints, ten times cheaper than numpy scalars.
    word = words.data
    n = len(words)
    if n >= 4 and word[0] == 0 and word[1] == 1:
        if word[n - 2] != 1 or word[n - 1] != 1:
            raise FormatError("list is not closed with [1, 1]", n - 2)
        at, end = 2, n - 2
    else:
        at, end = 0, n
    items = []
    while at < end:
        if end - at < 5 or word[at] != 0 or word[at + 1] < 2:
            raise FormatError("expected an item's opening bracket [0, n]", at)
        length = word[at + 1] + 3
        if at + length > end:
            raise FormatError("item runs past the end of its list", at)
        if word[at + length - 2] != 1 or word[at + length - 1] != 1:
            raise FormatError("item is not closed with [1, 1] where its count says", at + length - 2)
        kind = word[at + 2]
        if kind not in KIND_NAMES:
            raise FormatError(f"unknown item kind {kind}", at + 2)
        if length - 4 != _expected_body(kind, word, at + 2, length - 4, at):
            raise FormatError(f"{KIND_NAMES[kind]} item's header does not match its length", at)
        items.append(Item(kind, at, words[at : at + length]))
        at += length
    return items


def repair_geometry_counts(words: np.ndarray) -> np.ndarray:
    """A copy of a result list with every geometry item's opening count set from its header.

    Nodarium's output node writes each tube's opening count one too high (`L − 2`, pointing past
    its closing bracket; ndg's compatibility mode does too). Its viewer reads on regardless; this
    makes such a result split, validate and decode like any other."""
    words = np.array(words, dtype="<i4")
    at = 2
    while at < len(words) - 2:
        if words[at + 2] == GEOMETRY:
            words[at + 1] = 4 + 3 * words[at + 4] + 6 * words[at + 3]
        at += int(words[at + 1]) + 3
    return words


def describe_items(items: list[Item]) -> str:
    if not items:
        return "no items"
    parts = []
    for kind, name in KIND_NAMES.items():
        chosen = [i for i in items if i.kind == kind]
        if not chosen:
            continue
        text = f"{len(chosen)} {name} item{'s' if len(chosen) != 1 else ''}"
        if kind == PATH:
            text += f" ({sum((len(i.body) - 2) // 4 for i in chosen)} points)"
        elif kind == GEOMETRY:
            text += f" ({sum(int(i.body[1]) for i in chosen)} vertices, {sum(int(i.body[2]) for i in chosen)} faces)"
        else:
            text += f" ({sum(int(i.body[3]) for i in chosen)} instances)"
        parts.append(text)
    return ", ".join(parts)
