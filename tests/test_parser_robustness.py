"""Garbage in: every outcome is a compiled graph or located diagnostics, never a crash."""

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from ndg.cli import main
from ndg.compiler.definitions import NodeLibrary
from ndg.compiler.diagnostics import SourceErrors
from ndg.compiler.driver import check

LIBRARY = NodeLibrary.load()
TOKENS = ["a", "b", "box", "math", "output", "float", "vec3", "(", ")", ",", ":", "=", "[", "]", "1", "-2.5", "1e3",
          "true", "false", "#c\n", "\n", " ", "input", "size", "op_type", "max/plantarium/box", "0", "value",
          "param", "settings", "use", "max/plantarium", "{", "}", "..", "in", "+", "-", "*", "/", "resolution.curve",
          "multiply", "integer", "1e39", "-0", "0.5", "length", "1" + "0" * 400, "3"]


def check_never_crashes(text: str):
    try:
        check(text, "fuzz.ndg", LIBRARY)
    except SourceErrors as errors:
        assert errors.diagnostics
        for diagnostic in errors.diagnostics:
            assert diagnostic.span.line >= 1 and diagnostic.span.col >= 1
            assert "fuzz.ndg:" in diagnostic.render(errors.source)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_random_text(text):
    check_never_crashes(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=40))
def test_token_soup(tokens):
    check_never_crashes(" ".join(tokens))


VALID = ("use max/plantarium\nsettings { resolution.curve: 8 }\nparam length: float = 1.5 in 0..10\n"
         "a = math(op_type: multiply, a: length * 2 + 1, b: -(3 / 4))\nv = vec3(0: 1, 1: 2, 2: 3)\n"
         "output(input: box(size: a))\n")


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(VALID) - 1), st.integers(0, len(VALID)), st.sampled_from(TOKENS + [""]))
def test_mutated_valid_program(start, length, replacement):
    check_never_crashes(VALID[:start] + replacement + VALID[start + length :])


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=200) | st.lists(st.sampled_from(TOKENS), max_size=30).map(lambda t: " ".join(t).encode()))
def test_the_commands_answer_garbage_with_exit_code_0_or_2(tmp_path_factory, data):
    source = tmp_path_factory.mktemp("fuzz") / "fuzz.ndg"
    source.write_bytes(data)
    for command in (["check"], ["fmt", "--check"]):
        result = CliRunner().invoke(main, [*command, str(source)])
        assert result.exit_code in (0, 2), result.output
        assert "Traceback" not in result.output and "internal error" not in result.output
