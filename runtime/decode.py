"""Readable descriptions of values for summaries."""

from __future__ import annotations

import numpy as np

from ndg.runtime.abi import SCALAR_WORDS
from ndg.runtime.format import FormatError, describe_items, split_items


def describe_scalar(type_: str, words: np.ndarray) -> str:
    if type_ in SCALAR_WORDS and len(words) < SCALAR_WORDS[type_]:
        return "(not written)"  # its node wrote fewer words than its type has
    if type_ == "float":
        return f"{words.view('<f4')[0]:.6g}"
    if type_ == "vec3":
        return "[" + ", ".join(f"{v:.6g}" for v in words.view("<f4")) + "]"
    if type_ == "boolean":
        return "true" if words[0] else "false"
    if type_ in ("integer", "select", "seed"):
        return str(int(words[0]))
    return f"{len(words)} words: {describe_result(words)}"


def describe_result(words: np.ndarray) -> str:
    try:
        return f"{describe_items(split_items(words))} in {len(words)} words"
    except FormatError as error:
        return f"{len(words)} words, not a valid item list ({error})"
