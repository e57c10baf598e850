"""Parse `.ndg` text into a syntax tree of plain data classes."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import lark

from ndg.compiler.diagnostics import Diagnostic, Source, SourceErrors, Span


@dataclass(frozen=True)
class Number:
    text: str
    value: int | float
    span: Span

    @property
    def is_integer(self) -> bool:
        return isinstance(self.value, int)


@dataclass(frozen=True)
class Bool:
    value: bool
    span: Span


@dataclass(frozen=True)
class Vec3:
    items: tuple[Number, Number, Number]
    span: Span


@dataclass(frozen=True)
class Ref:
    name: str
    span: Span


@dataclass(frozen=True)
class Arg:
    name: str
    name_span: Span
    value: "Expr"
    span: Span


@dataclass(frozen=True)
class Call:
    node_id: str
    id_span: Span
    args: tuple[Arg, ...]
    span: Span


Expr = Call | Ref | Number | Bool | Vec3


@dataclass(frozen=True)
class Binding:
    name: str
    name_span: Span
    value: Expr
    span: Span


@dataclass(frozen=True)
class BareCall:
    call: Call
    span: Span


Statement = Binding | BareCall


@dataclass(frozen=True)
class Program:
    source: Source
    statements: tuple[Statement, ...]


def _span(item) -> Span:
    return Span(item.line, item.column, item.end_line, item.end_column)


@lark.v_args(meta=True)
class _ToSyntax(lark.Transformer):
    def start(self, meta, statements):
        return tuple(statements)

    def binding(self, meta, children):
        name, value = children
        return Binding(str(name), _span(name), value, _span(meta))

    def bare_call(self, meta, children):
        return BareCall(children[0], _span(meta))

    def ref(self, meta, children):
        return Ref(str(children[0]), _span(meta))

    def call(self, meta, children):
        node_id, *args = children
        return Call(node_id[0], node_id[1], tuple(a for a in args if a is not None), _span(meta))

    def node_id(self, meta, children):
        return (str(children[0]), _span(meta))

    def arg(self, meta, children):
        name, value = children
        return Arg(str(name), _span(name), value, _span(meta))

    def number(self, meta, children):
        text = "".join(str(c) for c in children)
        is_int = all(ch.isdigit() for ch in text.lstrip("-"))
        return Number(text, int(text) if is_int else float(text), _span(meta))

    def true(self, meta, children):
        return Bool(True, _span(meta))

    def false(self, meta, children):
        return Bool(False, _span(meta))

    def vec3(self, meta, children):
        return Vec3(tuple(children), _span(meta))


@cache
def _parser() -> lark.Lark:
    grammar = resources.files("ndg.grammar").joinpath("ndg.lark").read_text()
    return lark.Lark(grammar, parser="lalr", propagate_positions=True, maybe_placeholders=True)


_TOKEN_WORDS = {
    "LPAR": "`(`", "RPAR": "`)`", "COMMA": "`,`", "COLON": "`:`", "EQUAL": "`=`",
    "LSQB": "`[`", "RSQB": "`]`", "NAME": "a name", "NUMBER": "a number",
    "QUALIFIED_ID": "a node id", "NEGATIVE": "`-`", "TRUE": "`true`", "FALSE": "`false`",
    "$END": "the end of the file",
}


def _describe_expected(expected) -> str:
    words = sorted({_TOKEN_WORDS.get(name, name) for name in expected})
    return "expected " + (", ".join(words[:-1]) + " or " + words[-1] if len(words) > 1 else words[0])


def _syntax_error(source: Source, error: lark.exceptions.UnexpectedInput) -> Diagnostic:
    line, col = max(error.line, 1), max(error.column, 1)
    if isinstance(error, lark.exceptions.UnexpectedCharacters):
        char = source.line_text(line)[col - 1 : col] or "?"
        return Diagnostic("E001", f"unexpected character `{char}`", Span(line, col, line, col + 1),
                          "names start with a letter or `_`; comments start with `#`")
    token = error.token
    if token.type == "$END":
        return Diagnostic("E001", "the file ends in the middle of a statement",
                          Span(line, col, line, col + 1), _describe_expected(error.expected))
    return Diagnostic("E001", f"unexpected `{token}`", Span(line, col, line, col + len(str(token))),
                      _describe_expected(error.expected))


def parse(text: str, name: str = "<input>") -> Program:
    """Parse a whole file; a syntax error raises SourceErrors pointing at it."""
    source = Source(name, text)
    try:
        tree = _parser().parse(text)
    except lark.exceptions.UnexpectedInput as error:
        raise SourceErrors(source, [_syntax_error(source, error)]) from None
    return Program(source, _ToSyntax().transform(tree))
