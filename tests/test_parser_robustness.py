"""Garbage in: every outcome is a compiled graph or located diagnostics, never a crash."""

from hypothesis import given, settings
from hypothesis import strategies as st

from ndg.compiler.definitions import NodeLibrary
from ndg.compiler.diagnostics import SourceErrors
from ndg.compiler.driver import check

LIBRARY = NodeLibrary.load()
TOKENS = ["a", "b", "box", "math", "output", "float", "vec3", "(", ")", ",", ":", "=", "[", "]", "1", "-2.5", "1e3",
          "true", "false", "#c\n", "\n", " ", "input", "size", "op_type", "max/plantarium/box", "0", "value"]


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


VALID = "a = math(op_type: 2, a: 1.5, b: 3)\nv = vec3(0: 1, 1: 2, 2: 3)\noutput(input: box(size: a))\n"


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(VALID) - 1), st.integers(0, len(VALID)), st.sampled_from(TOKENS + [""]))
def test_mutated_valid_program(start, length, replacement):
    check_never_crashes(VALID[:start] + replacement + VALID[start + length :])
