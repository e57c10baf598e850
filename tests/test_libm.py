"""ndg_util's own transcendental functions (nodes/ndg_util/src/libm.rs): the same bits as std's on
wasm32, where std's come from compiler-builtins' port of musl, so that moving to them changed no
result; and node code calls them, never std's, whose native versions (glibc) differ.

`python tests/test_libm.py` compares every one of the 2^32 inputs (about an hour on a shared core;
it found no difference in any of the four functions); the test compares a sample.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import wasmtime

from ndg.cache import cache_folder
from ndg.compiler.build import cargo_build
from ndg.compiler.definitions import builtin_node_dir

CHECK_CRATE = Path(__file__).parent / "libm_check"
FUNCTIONS = ("sin", "cos", "sin_cos", "acos")
# std's f32/f64 methods that call the platform's C library (sqrt, abs, floor… are exact IEEE
# operations, the same everywhere).
PLATFORM_MATH = ("sin", "cos", "tan", "sin_cos", "asin", "acos", "atan", "atan2", "sinh", "cosh", "tanh", "asinh",
                 "acosh", "atanh", "exp", "exp2", "exp_m1", "ln", "log", "log2", "log10", "ln_1p", "powf", "powi",
                 "cbrt", "hypot")
NAMES = "|".join(PLATFORM_MATH)
STD_CALL = re.compile(rf"\.({NAMES})\(|\bf(?:32|64)::({NAMES})\(")


def node_sources() -> list[Path]:
    return [path for path in builtin_node_dir().rglob("*.rs")
            if "target" not in path.parts and path.name != "libm.rs"]


def test_nodes_call_ndg_util_libm_not_std():
    calls = [f"{path.relative_to(builtin_node_dir())}:{number}: {line.strip()}"
             for path in node_sources()
             for number, line in enumerate(path.read_text().splitlines(), 1)
             if STD_CALL.search(line.split("//")[0])]
    assert not calls, "call ndg_util::libm instead (the same bits on every target):\n" + "\n".join(calls)


def test_the_lint_sees_std_calls():
    assert STD_CALL.search("let (s, c) = angle.sin_cos();")
    assert STD_CALL.search("f32::acos(x)")
    assert not STD_CALL.search("libm::sin_cos(angle)") and not STD_CALL.search("x.sqrt()")


def differences_function():
    target = cargo_build(CHECK_CRATE, cache_folder("libm-check"), "the libm check")
    store = wasmtime.Store()
    module = wasmtime.Module.from_file(store.engine, str(target / "ndg_libm_check.wasm"))
    differences = wasmtime.Instance(store, module, []).exports(store)["differences"]

    def count(function: int, first: int, stride: int, n: int) -> tuple[int, int]:
        packed = differences(store, function, first, stride, n) & (1 << 64) - 1
        return packed >> 32, packed & 0xFFFFFFFF

    return count


@pytest.mark.toolchain
@pytest.mark.parametrize("function", range(len(FUNCTIONS)), ids=FUNCTIONS)
def test_bit_identical_to_std_on_wasm32(function):
    count = differences_function()
    # 2^21 inputs spread over every exponent and sign (an odd stride reaches every pattern
    # eventually), and the neighbourhood of 0, ±1 and the reduction thresholds exhaustively
    assert count(function, 0x1234, 2047, 1 << 21) == (0, 0xFFFFFFFF)
    for around in (0x0000_0000, 0x3F80_0000, 0x3F49_0FDA, 0x407B_53D1, 0x40E2_31D5, 0x4DC9_0FDB, 0x7F80_0000):
        for sign in (0, 0x8000_0000):
            assert count(function, (sign | around) - 2048, 1, 4096) == (0, 0xFFFFFFFF)


def main() -> None:
    """Every f32 input, in chunks, for each function."""
    count = differences_function()
    chunk = 1 << 26
    for function, name in enumerate(FUNCTIONS):
        found, first = 0, None
        for start in range(0, 1 << 32, chunk):
            n, at = count(function, start, 1, chunk)
            found += n
            first = first if first is not None or not n else at
        print(f"{name}: {found} of 2^32 inputs differ" + (f" (first {first:#010x})" if found else ""), flush=True)


if __name__ == "__main__":
    sys.exit(main())
