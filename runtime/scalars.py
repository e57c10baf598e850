"""Scalars as words: floats as f32 bit patterns, integers and options as i32, booleans as 0/1."""

from __future__ import annotations

import math
import struct

F32_MAX = 3.4028234663852886e38
I32_MIN, I32_MAX = -(2**31), 2**31 - 1


def scalar_problem(type_: str, value) -> str | None:
    """Why `value` cannot be stored as `type_`, or None when it can."""
    def is_number(v):
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if type_ == "float":
        # An int is compared as it is: converting a huge one to float would overflow.
        if not is_number(value) or (isinstance(value, float) and not math.isfinite(value)) or abs(value) > F32_MAX:
            return "expected a finite number that fits a 32-bit float"
    elif type_ in ("integer", "select", "seed"):
        if not isinstance(value, int) or isinstance(value, bool) or not I32_MIN <= value <= I32_MAX:
            return "expected a whole number that fits 32 bits"
    elif type_ == "boolean":
        if not isinstance(value, bool):
            return "expected true or false"
    elif type_ == "vec3":
        if not (isinstance(value, (tuple, list)) and len(value) == 3 and all(scalar_problem("float", v) is None for v in value)):
            return "expected three finite numbers"
    else:
        return f"{type_} is not a scalar type"
    return None


def encode_scalar(type_: str, value) -> tuple[int, ...]:
    """The words of a value that `scalar_problem` accepts."""
    if type_ == "float":
        return struct.unpack("<i", struct.pack("<f", value))
    if type_ == "vec3":
        return struct.unpack("<3i", struct.pack("<3f", *value))
    return (int(value),)


def decode_scalar(type_: str, words) -> float | int | bool | tuple[float, ...]:
    if type_ == "float":
        return struct.unpack("<f", struct.pack("<i", words[0]))[0]
    if type_ == "vec3":
        return struct.unpack("<3f", struct.pack("<3i", *words))
    if type_ == "boolean":
        return bool(words[0])
    return int(words[0])
