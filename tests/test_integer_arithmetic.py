"""Integer arithmetic: integer ⊕ integer is an integer for + - * // %, `round(value: …)` makes a
float an integer, and sizes follow both through interval arithmetic."""

import pytest
from click.testing import CliRunner
from conftest import load

from ndg.cli import main
from ndg.compiler.definitions import NodeLibrary
from ndg.compiler.diagnostics import SourceErrors
from ndg.compiler.driver import check_with_shapes

LIBRARY = NodeLibrary.load()

PLANT = """param n: integer = 2 in 1..4
s = stem(amount: 1, resolution_curve: 4)
leaves = instance(plant: s, geometry: box(size: 0.1), amount: {amount})
output(input: leaves)
"""


def leaves_shape(amount: str):
    return check_with_shapes(PLANT.format(amount=amount), "plant.ndg", LIBRARY)[1]["leaves"]


def test_an_amount_computed_from_an_integer_parameter_plans_its_exact_largest_size():
    planned = leaves_shape("n * 4")
    assert planned.words == leaves_shape("16").words  # n at the top of its range
    assert not planned.exact


@pytest.mark.toolchain
def test_an_amount_computed_from_an_integer_parameter_runs_with_each_value():
    runner = load(PLANT.format(amount="n * 4 - n // 2"))
    for n, instances in [(1, 4), (2, 7), (3, 11), (4, 14)]:
        runner.set_param("n", n)
        runner.run()
        words = runner.node_value("leaves")
        # The instances item: [0, 1, count, …] after the path item; its count word is what was made.
        assert instances in words.tolist(), (n, words[:40])


@pytest.mark.toolchain
@pytest.mark.parametrize(("expression", "value"), [
    ("7 // 2", 3), ("-7 // 2", -4), ("-7 % 3", 2), ("n * 4", 12), ("n * 4 - 7 // 2 + (n + 1) % 3", 10),
    ("-n", -3), ("n // 2 * 2", 2), ("round(value: 2.5)", 3), ("round(value: -2.5) * n", -9),
])
def test_integer_values(expression, value):
    runner = load(f"param n: integer = 3 in 1..4\nk = integer(value: {expression})\noutput(input: box())\n")
    runner.run()
    assert runner.node_value("k").tolist() == [value]


def errors(text: str) -> list[tuple[str, str, str | None]]:
    with pytest.raises(SourceErrors) as caught:
        check_with_shapes(text, "bad.ndg", LIBRARY)
    return [(d.code, d.message, d.hint) for d in caught.value.diagnostics]


def test_floor_division_and_remainder_of_floats_are_refused_with_the_conversion_named():
    assert errors("param x: float = 1 in 0..2\nk = integer(value: x // 2)\noutput(input: box())\n") == [
        ("E109", "`//` works on integers, and this operand is not one", "make a float an integer first: `round(value: …)`")]
    assert errors("k = integer(value: 7.5 % 2)\noutput(input: box())\n")[0][0] == "E109"
    assert errors("param n: integer = 1 in 0..2\nk = integer(value: n // 0)\noutput(input: box())\n") == [
        ("E109", "division by zero", "divide by a number other than 0")]


def test_a_divisor_whose_range_holds_zero_gives_no_bound():
    assert errors(PLANT.format(amount="8 // (n - 2)")) == [
        ("E402", "the output size of `leaves` depends on its input `amount`, which has no bound: `leaves.amount` "
                 "divides by a value whose range holds 0", "keep the divisor's range away from 0, or use a constant")]


def test_an_integer_result_that_can_leave_32_bits_gives_no_bound():
    text = "param n: integer = 2 in 1..100000\nleaves = instance(plant: stem(), geometry: box(), amount: n * n * n)\noutput(input: leaves)\n"
    assert errors(text) == [
        ("E402", "the output size of `leaves` depends on its input `amount`, which has no bound: `leaves.amount.a` "
                 "can leave the 32 bits of an integer (1 to 10000000000)", "narrow the ranges of its operands")]


@pytest.mark.toolchain
def test_the_cli_compiles_and_runs_integer_arithmetic(tmp_path):
    source = tmp_path / "plant.ndg"
    source.write_text(PLANT.format(amount="n * 4"))
    result = CliRunner().invoke(main, ["run", str(source), "--set", "n=3", "-q", "-o", str(tmp_path / "out.json")])
    assert result.exit_code == 0, result.output
