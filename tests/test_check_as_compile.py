"""`ndg check` refuses what `compile` refuses: the planner's memory checks and parameter ranges the
plan's words cannot hold."""

import pytest
from click.testing import CliRunner

from ndg.cli import main

TOO_BIG = "output(input: instance(plant: stem(), geometry: box(), amount: 2147483647))\n"
FLOAT_RANGE = "param x: float = 1 in 0..1e39\noutput(input: box(size: x))\n"
INTEGER_RANGE = f"param n: integer = 1 in -{'9' * 90}..3\nfirst = integer(value: n)\noutput(input: box())\n"


def _ndg(tmp_path, command: str, text: str):
    (tmp_path / "g.ndg").write_text(text)
    args = [command, str(tmp_path / "g.ndg")] + (["-o", str(tmp_path / "g.ndp")] if command == "compile" else [])
    return CliRunner().invoke(main, args)


@pytest.mark.toolchain
@pytest.mark.parametrize("command", ["check", "compile"])
def test_a_graph_past_the_memory_wasm32_addresses_is_refused_by_both(tmp_path, command):
    done = _ndg(tmp_path, command, TOO_BIG)
    assert done.exit_code == 2, done.output
    assert "(137,438,954,332 bytes) would end at byte 137,438,954,332, past the 4,294,967,296 bytes" in done.output


@pytest.mark.toolchain
@pytest.mark.parametrize("command", ["check", "compile"])
def test_a_graph_past_the_runtime_gibibyte_is_refused_by_both(tmp_path, command):
    done = _ndg(tmp_path, command, "output(input: instance(plant: stem(), geometry: box(), amount: 9000000))\n")
    assert done.exit_code == 2, done.output
    assert "bytes (1 GiB) the runtime gives a plan" in done.output


@pytest.mark.parametrize("command", ["check", "compile"])
def test_a_float_range_past_f32_is_refused(tmp_path, command):
    done = _ndg(tmp_path, command, FLOAT_RANGE)
    assert done.exit_code == 2
    assert "error[E112]: this range end does not fit the parameter's type, float" in done.output
    assert "g.ndg:1:26" in done.output
    assert "a float parameter holds finite numbers up to ±3.402823e+38" in done.output


@pytest.mark.parametrize("command", ["check", "compile"])
def test_a_90_digit_integer_range_end_is_refused(tmp_path, command):
    done = _ndg(tmp_path, command, INTEGER_RANGE)
    assert done.exit_code == 2
    assert "this range end does not fit the parameter's type, integer" in done.output
    assert "whole numbers from -2147483648 to 2147483647" in done.output


def test_check_passes_what_compiles(tmp_path):
    done = _ndg(tmp_path, "check", "param x: float = 1 in 0..3.4e38\noutput(input: box(size: x))\n")
    assert done.exit_code == 0 and "1 file(s) OK" in done.output
