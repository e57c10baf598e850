"""The hand-written parser reads exactly the language of grammar/ndg.lark, its reference."""

from functools import cache
from importlib import resources

import lark
from hypothesis import given, settings
from hypothesis import strategies as st

from ndg.compiler.diagnostics import SourceErrors
from ndg.compiler.syntax import parse

TOKENS = ["a", "b", "box", "math", "output", "(", ")", ",", ":", "=", "[", "]", "1", "2.5", "1e3", ".5", "0",
          "true", "false", "#c\n", "\n", " ", "input", "param", "settings", "use", "max/plantarium",
          "max/plant-arium", "max/plantarium/box", "{", "}", "..", ".", "in", "+", "-", "*", "/", "//", "%",
          "resolution", "@"]


@cache
def _reference() -> lark.Lark:
    grammar = resources.files("ndg.grammar").joinpath("ndg.lark").read_text()
    return lark.Lark(grammar, parser="lalr", maybe_placeholders=True)


def _reference_statements(text: str) -> int | None:
    try:
        return len(_reference().parse(text).children)
    except lark.exceptions.UnexpectedInput:
        return None


def _statements(text: str) -> int | None:
    try:
        return len(parse(text).statements)
    except SourceErrors:
        return None


@settings(max_examples=1500, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=25), st.sampled_from([" ", "", "\n"]))
def test_token_soup_is_accepted_exactly_when_the_grammar_accepts_it(tokens, glue):
    text = glue.join(tokens)
    assert _statements(text) == _reference_statements(text)


STATEMENTS = ["use max/plantarium", "settings { resolution.curve: 8, randomSeed: -1, }", "settings {}",
              "param n: integer = 3 in 1..10", "param v: vec3 = [0, -1, 2.5]", "param b: boolean = true",
              "a = math(op_type: multiply, a: n * 2 + 1, b: -(3 / 4))", "v = vec3(0: 1, 1: 2, 2: 3,)",
              "output(input: max/plantarium/box(size: a // 2 % 3 - -b))", "x = -a", "t = f(g: (1 + 2) * 3)"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(STATEMENTS), max_size=8))
def test_valid_statements_parse_alike(statements):
    text = "\n".join(statements)
    assert _statements(text) == _reference_statements(text) == len(statements)
