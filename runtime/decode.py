"""Readable descriptions of values for summaries."""

from __future__ import annotations

import numpy as np

from ndg.runtime.abi import SCALAR_WORDS, ValueType
from ndg.runtime.format import FormatError, describe_items, split_items


def describe_value(type_: str, words: np.ndarray) -> str:
    """A value of any type as the words its node wrote (fewer than its type has: not written)."""
    if type_ in SCALAR_WORDS and len(words) < SCALAR_WORDS[type_]:
        return "(not written)"
    if type_ == ValueType.FLOAT:
        return f"{words.view('<f4')[0]:.6g}"
    if type_ == ValueType.VEC3:
        return "[" + ", ".join(f"{v:.6g}" for v in words.view("<f4")) + "]"
    if type_ == ValueType.BOOLEAN:
        return "true" if words[0] else "false"
    if type_ in SCALAR_WORDS:  # integer, select, seed
        return str(int(words[0]))
    if type_ == ValueType.EXPRESSION:
        return f"a per-use expression of {len(words)} words"
    return describe_result(words) if len(words) else "no words"


def describe_result(words: np.ndarray) -> str:
    count = f"{len(words)} word{'' if len(words) == 1 else 's'}"
    try:
        return f"{describe_items(split_items(words))} in {count}"
    except FormatError as error:
        return f"{count}, not a valid item list ({error})"
