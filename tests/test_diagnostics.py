"""Mistakes in .ndg files: one clear message each, with file:line:col, the line and a caret; exit 2."""

import pytest
from click.testing import CliRunner

from ndg.cli import main

CASES = {
    "syntax": ("a = math(a: 1\noutput(input: box())\n", "E001", "2:1", "output(input: box())", "^^^^^^"),
    "unknown node type": ("a = stme(amount: 3)\noutput(input: box())\n", "E101", "1:5", "a = stme(amount: 3)", "    ^^^^"),
    "unknown argument": ("output(input: box(sise: 2))\n", "E103", "1:19", "output(input: box(sise: 2))", "                  ^^^^"),
    "wrong value type": ("output(input: box(size: true))\n", "E201", "1:25", "output(input: box(size: true))",
                         "                        ^^^^"),
    "cycle": ("a = math(a: b)\nb = math(a: a)\noutput(input: box(size: a))\n", "E301", "1:5", "a = math(a: b)", "    ^^^^^^^^^^"),
}


@pytest.mark.parametrize("case", CASES)
def test_mistake_gives_one_located_message_and_exit_2(tmp_path, case):
    text, code, position, line, caret = CASES[case]
    source = tmp_path / "bad.ndg"
    source.write_text(text)
    for command in (["check"], ["compile"], ["run"]):
        result = CliRunner().invoke(main, [*command, str(source)])
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        assert result.output.count(f"error[{code}]") == 1
        assert f"{source}:{position}" in result.output
        lines = result.output.splitlines()
        at = next(i for i, text_line in enumerate(lines) if text_line.endswith(f"| {line}"))
        assert lines[at + 1].split("| ", 1)[1] == caret
        assert "hint:" in result.output


def test_hints_suggest_the_closest_names(tmp_path):
    source = tmp_path / "typos.ndg"
    source.write_text("a = mth(a: 1)\nb = math(bb: 2)\noutput(input: box(size: bb))\nbb = float()\nc = math(a: aa)\n")
    result = CliRunner().invoke(main, ["check", str(source)])
    assert "did you mean `math`?" in result.output
    assert "did you mean `b`?" in result.output  # input bb of math
    assert "did you mean `a`?" in result.output  # unbound name aa


def test_all_independent_errors_are_reported_together(tmp_path):
    source = tmp_path / "many.ndg"
    source.write_text("a = bxo()\nb = math(q: 1)\nc = box(size: [1, 2, 3])\noutput(input: box())\n")
    result = CliRunner().invoke(main, ["check", str(source)])
    assert result.exit_code == 2
    assert [code for code in ("E101", "E103", "E201") if f"error[{code}]" in result.output] == ["E101", "E103", "E201"]


def test_range_from_the_definition_is_enforced(tmp_path):
    source = tmp_path / "range.ndg"
    source.write_text("m = math(op_type: 7)\noutput(input: box())\n")
    result = CliRunner().invoke(main, ["check", str(source)])
    assert "error[E203]" in result.output and "2 (multiply)" in result.output


def test_missing_file_is_a_user_error(tmp_path):
    result = CliRunner().invoke(main, ["run", str(tmp_path / "nope.ndg")])
    assert result.exit_code == 2 and "no such file" in result.output


def test_a_graph_needs_exactly_one_output(tmp_path):
    source = tmp_path / "none.ndg"
    source.write_text("a = box()\n")
    result = CliRunner().invoke(main, ["check", str(source)])
    assert result.exit_code == 2 and "error[E302]" in result.output
