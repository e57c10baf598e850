"""`ndg fmt`: one canonical style, comments kept, idempotent, and the meaning never changes."""

import re

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from ndg.cli import main
from ndg.compiler.definitions import NodeLibrary
from ndg.compiler.formatter import format_program
from ndg.compiler.ir import Invalid, ParamRef, Use
from ndg.compiler.passes import analyse
from ndg.compiler.syntax import parse

LIBRARY = NodeLibrary.load()

MESSY = """# a plant

use   max/plantarium
settings {resolution.curve: 32,randomSeed: false}   # graph-wide
param length:float=1.5 in 0..10 # how long
a = math(op_type: multiply,
   # why this input
   a: -length * (0.5 + 1) - (2 - 3), b: -(2+3)/4) # trailing


output( input : box(size: a) )
# the end
"""

CANONICAL = """# a plant

use max/plantarium
settings {
    resolution.curve: 32,
    randomSeed: false,
}  # graph-wide
param length: float = 1.5 in 0..10  # how long
# why this input
a = math(op_type: multiply, a: -length * (0.5 + 1) - (2 - 3), b: -(2 + 3) / 4)  # trailing

output(input: box(size: a))
# the end
"""


def fmt(text: str) -> str:
    return format_program(parse(text))


def test_messy_file_becomes_canonical_and_keeps_every_comment():
    assert fmt(MESSY) == CANONICAL
    assert fmt(CANONICAL) == CANONICAL


def test_long_calls_put_one_argument_per_line():
    text = "v = vec3(0: 1.0000000001, 1: 2.0000000002, 2: 3.0000000003)  # c\n"
    long = text.replace("vec3(", "max/plantarium/vec3(").replace("1.0000000001", "1.000000000000000000000000000000000000001")
    assert fmt(text) == text
    assert fmt(long) == ("v = max/plantarium/vec3(\n    0: 1.000000000000000000000000000000000000001,\n    1: 2.0000000002,\n"
                         "    2: 3.0000000003,\n)  # c\n")
    assert fmt(fmt(long)) == fmt(long)


def test_parentheses_the_meaning_needs_are_kept_and_others_dropped():
    assert fmt("a = (x) - (y - z) * ((w))\n") == "a = x - (y - z) * w\n"
    assert fmt("a = (x - y) - z\n") == "a = x - y - z\n"
    assert fmt("a = x / (y * z)\n") == "a = x / (y * z)\n"
    assert fmt("a = - (x + 1)\n") == "a = -(x + 1)\n"


def test_fmt_command_rewrites_and_check_reports(tmp_path):
    messy, clean = tmp_path / "messy.ndg", tmp_path / "clean.ndg"
    messy.write_text(MESSY)
    clean.write_text(CANONICAL)
    result = CliRunner().invoke(main, ["fmt", "--check", str(messy), str(clean)])
    assert result.exit_code == 2 and f"{messy}: not formatted" in result.output and str(clean) + ":" not in result.output
    assert messy.read_text() == MESSY
    assert CliRunner().invoke(main, ["fmt", str(messy)]).exit_code == 0
    assert messy.read_text() == CANONICAL
    assert CliRunner().invoke(main, ["fmt", "--check", str(messy)]).exit_code == 0


def test_fmt_leaves_files_that_do_not_parse_alone(tmp_path):
    broken = tmp_path / "broken.ndg"
    broken.write_text("a = math(\n")
    result = CliRunner().invoke(main, ["fmt", str(broken)])
    assert result.exit_code == 2 and "error[E001]" in result.output and "Traceback" not in result.output
    assert broken.read_text() == "a = math(\n"


# Generated programs: the statements a graph is made of, with arithmetic, comments and odd layout.
names = st.sampled_from(["a", "b", "c", "length", "count"])
numbers = st.sampled_from(["0", "1", "2.5", "1e3", "0.25", "3"])


def _compound(inner):
    return st.one_of(
        st.tuples(inner, st.sampled_from(["+", "-", "*", "/"]), inner).map(lambda t: " ".join(t)),
        inner.map(lambda e: f"({e})"),
        inner.map(lambda e: f"-({e})"),
        st.tuples(st.sampled_from(["math", "max/plantarium/math"]), inner, inner).map(
            lambda t: f"{t[0]}(op_type: multiply, a: {t[1]}, b: {t[2]})"),
    )


leaves = st.one_of(numbers, names, numbers.map(lambda n: "-" + n), names.map(lambda n: "-" + n))
expressions = st.recursive(leaves, _compound, max_leaves=8)


statements = st.one_of(
    st.tuples(st.sampled_from(["a", "b", "c"]), expressions).map(lambda t: f"{t[0]} = {t[1]}"),
    st.tuples(st.sampled_from(["a", "b", "c"]), expressions, expressions, st.sampled_from(["add", "divide", "2"]))
      .map(lambda t: f"{t[0]} = math(op_type: {t[3]}, a: {t[1]}, b: {t[2]},)"),
    st.sampled_from(["param length: float = 1.5 in 0..10", "param count: integer = 3 in 1..8",
                     "param length: float = -2", "settings { resolution.curve: -8, randomSeed: true, up: [0, -1, 0] }",
                     "use max/plantarium", "v = vec3(0: 1, 1: -2.5, 2: 3)"]),
    expressions.map(lambda e: f"output(input: box(size: {e}))"),
)
separators = st.sampled_from([" ", "  ", "\n", "\n\n", " # note\n", "\n# own line\n", "\t\n   "])


@st.composite
def programs(draw):
    chosen = draw(st.lists(statements, min_size=1, max_size=7))
    parts = []
    for statement in chosen:
        # Free layout: spaces and newlines between tokens (never inside one).
        tokens = [t for t in statement.replace("(", " ( ").replace(")", " ) ").replace(",", " , ").split(" ") if t]
        for token, following in zip(tokens, tokens[1:] + [""]):
            glued = not (token[-1].isalnum() and following[:1].isalnum())
            gaps = [" ", "\n ", " # inside\n "]
            parts.append(token + draw(st.sampled_from(["", *gaps] if glued else gaps)))
        parts.append(draw(separators))
    return "".join(parts)


def _arg(arg):
    if isinstance(arg, Use):
        return ("use", arg.node)
    if isinstance(arg, ParamRef):
        return ("param", arg.name)
    if isinstance(arg, Invalid):
        return ("invalid",)
    return (arg.type, arg.value)


def meaning(text: str):
    """What a program means, without where it was written: the graph IR and the errors found."""
    graph, diagnostics = analyse(parse(text, "p.ndg"), LIBRARY)
    nodes = [(n.name, n.definition.id, [(k, _arg(a)) for k, a in n.args.items()]) for n in graph.nodes.values()]
    return (nodes, graph.output, [(p.name, p.type, p.default, p.min, p.max) for p in graph.params.values()],
            {k: s.value for k, s in graph.settings.items()},
            sorted((d.code, re.sub(r"line \d+", "line …", d.message)) for d in diagnostics))


@settings(max_examples=100, deadline=None)
@given(programs())
def test_formatting_keeps_the_meaning_and_is_idempotent(text):
    formatted = fmt(text)
    assert meaning(formatted) == meaning(text)
    assert fmt(formatted) == formatted
    assert formatted.count("#") == text.count("#")
