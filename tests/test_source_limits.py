"""The .ndg source surface under hostile input: explicit limits reported as located user errors
(exit 2), never a traceback. (That the time stays linear is shown by bench/bench_compile.py.)"""

import pytest
from click.testing import CliRunner

from ndg.cli import main
from ndg.compiler.definitions import NodeLibrary
from ndg.compiler.diagnostics import MAX_SHOWN_DIAGNOSTICS, SourceErrors
from ndg.compiler.driver import check
from ndg.compiler.formatter import format_program
from ndg.compiler.syntax import MAX_NESTING, MAX_SOURCE_CHARS, MAX_SYNTAX_ERRORS, parse

LIBRARY = NodeLibrary.load()


def errors_of(text: str) -> SourceErrors:
    with pytest.raises(SourceErrors) as caught:
        check(text, "deep.ndg", LIBRARY)
    return caught.value


def nested_calls(depth: int) -> str:
    return "a = " + "math(a: " * depth + "1" + ")" * depth + "\noutput(input: box(size: a))\n"


def test_245_nested_calls_are_refused_at_the_limit_with_place_and_hint():
    error = errors_of(nested_calls(245))
    [diagnostic] = error.diagnostics
    assert (diagnostic.code, diagnostic.message) == ("E003", "this expression nests more than 100 levels deep")
    assert (diagnostic.span.line, diagnostic.span.col) == (1, 5 + 8 * MAX_NESTING + 4)
    assert diagnostic.hint == "bind an inner part to a name (`part = …`) and use the name here"


def test_a_489_term_sum_is_refused_at_the_limit():
    error = errors_of("a = math(a: " + " + ".join(["1"] * 489) + ")\noutput(input: box(size: a))\n")
    assert [d.code for d in error.diagnostics] == ["E003"]


def test_nesting_up_to_the_limit_is_checked_and_formatted():
    text = nested_calls(MAX_NESTING - 1)
    check(text, "deep.ndg", LIBRARY)
    formatted = format_program(parse(text))
    assert format_program(parse(formatted)) == formatted
    total = "a = math(a: " + " + ".join(["1"] * MAX_NESTING) + ")\noutput(input: box(size: a))\n"
    check(total, "deep.ndg", LIBRARY)
    formatted = format_program(parse(total))
    assert format_program(parse(formatted)) == formatted


def test_a_4301_digit_number_is_refused_with_its_length():
    [diagnostic] = errors_of("output(input: box(size: " + "7" * 4301 + "))\n").diagnostics
    assert diagnostic.code == "E002"
    assert diagnostic.message == "this number is 4,301 characters long; ndg reads numbers of up to 1,000"
    assert diagnostic.hint == "write it with an exponent, such as 1e30"


def test_a_file_past_the_size_limit_is_refused_by_the_cli(tmp_path):
    source = tmp_path / "huge.ndg"
    source.write_text("# " + "x" * MAX_SOURCE_CHARS + "\n")
    result = CliRunner().invoke(main, ["check", str(source)])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert f"{source} is longer than 16,777,216 characters, the most ndg reads from a .ndg file" in result.output


def test_a_byte_order_mark_is_accepted(tmp_path):
    source = tmp_path / "bom.ndg"
    source.write_bytes(b"\xef\xbb\xbfoutput(input: box(size: 2))\n")
    result = CliRunner().invoke(main, ["check", str(source)])
    assert result.exit_code == 0, result.output
    errors = errors_of("\ufeffoutput(input: bx())\n")
    assert (errors.diagnostics[0].span.line, errors.diagnostics[0].span.col) == (1, 15)


def test_700000_errors_on_one_line_stop_at_the_syntax_error_limit_and_show_a_window():
    text = "@ " * 700_000
    with pytest.raises(SourceErrors) as caught:
        parse(text)
    assert len(caught.value.diagnostics) == 1  # the line is one statement: one error, then the next line
    rendered = caught.value.render()
    assert max(len(line) for line in rendered.splitlines()) < 200
    many_lines = "\n".join(["a = @"] * 100)
    with pytest.raises(SourceErrors) as caught:
        parse(many_lines)
    assert len(caught.value.diagnostics) == MAX_SYNTAX_ERRORS


def test_many_errors_are_counted_past_the_ones_shown():
    errors = errors_of("\n".join(f"n{i} = math(a: q{i}, op_type: 9)" for i in range(50_000)))
    assert len(errors.diagnostics) == 2 * 50_000 + 1  # E102 and E203 per line, and no output
    lines = errors.render().split("\n\n")
    assert len(lines) == MAX_SHOWN_DIAGNOSTICS + 1
    assert lines[-1] == f"… and {2 * 50_000 + 1 - MAX_SHOWN_DIAGNOSTICS:,} more errors in deep.ndg (the first 50 are shown)"


def test_fmt_keeps_8000_commented_lines_in_place():
    text = "\n".join(f"# note {i}\na{i} = box()  # trailing {i}" for i in range(8_000)) + "\n"
    assert format_program(parse(text)) == text
