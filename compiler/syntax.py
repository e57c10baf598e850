"""Parse `.ndg` text into a syntax tree of plain data classes."""

from __future__ import annotations

import re
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
    value: Expr
    span: Span


@dataclass(frozen=True)
class BinOp:
    """Arithmetic: `op` is one of + - * /."""

    op: str
    left: Expr
    right: Expr
    span: Span


@dataclass(frozen=True)
class Neg:
    """`-x` for anything but a number literal (those carry their sign themselves)."""

    operand: Expr
    span: Span


@dataclass(frozen=True)
class Call:
    node_id: str
    id_span: Span
    args: tuple[Arg, ...]
    span: Span


Literal = Number | Bool | Vec3
Expr = Call | Ref | BinOp | Neg | Literal


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


@dataclass(frozen=True)
class Param:
    """`param name: type = default in low..high`; the range is optional."""

    name: str
    name_span: Span
    type: str
    type_span: Span
    default: Literal
    low: Number | None
    high: Number | None
    span: Span


@dataclass(frozen=True)
class Setting:
    key: str
    key_span: Span
    value: Literal
    span: Span


@dataclass(frozen=True)
class Settings:
    entries: tuple[Setting, ...]
    span: Span


@dataclass(frozen=True)
class Use:
    """`use user/namespace`: short node names that several libraries define mean this library's node."""

    library: str
    span: Span


Statement = Binding | BareCall | Param | Settings | Use


@dataclass(frozen=True)
class Comment:
    text: str
    line: int
    col: int


@dataclass(frozen=True)
class Program:
    source: Source
    statements: tuple[Statement, ...]
    comments: tuple[Comment, ...] = ()


def _span(item) -> Span:
    return Span(item.line, item.column, item.end_line, item.end_column)


def _number(text: str, span: Span) -> Number:
    is_int = all(ch.isdigit() for ch in text.lstrip("-"))
    return Number(text, int(text) if is_int else float(text), span)


def _negate(number: Number, span: Span) -> Number:
    text = number.text[1:] if number.text.startswith("-") else "-" + number.text
    return Number(text, -number.value, span)


class _Rules:
    """One method per grammar rule (or alias): its syntax, from its position and built children."""

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
        return _number(str(children[0]), _span(meta))

    def signed(self, meta, children):
        number = _number(str(children[-1]), _span(meta))
        return _negate(number, number.span) if len(children) == 2 else number

    def neg(self, meta, children):
        operand = children[0]
        if isinstance(operand, Number):
            return _negate(operand, _span(meta))
        return Neg(operand, _span(meta))

    def add(self, meta, children):
        return BinOp("+", *children, _span(meta))

    def sub(self, meta, children):
        return BinOp("-", *children, _span(meta))

    def mul(self, meta, children):
        return BinOp("*", *children, _span(meta))

    def div(self, meta, children):
        return BinOp("/", *children, _span(meta))

    def param(self, meta, children):
        name, type_, default, bounds = children
        low, high = bounds if bounds else (None, None)
        return Param(str(name), _span(name), str(type_), _span(type_), default, low, high, _span(meta))

    def range(self, meta, children):
        return tuple(children)

    def settings(self, meta, children):
        return Settings(tuple(c for c in children if c is not None), _span(meta))

    def setting(self, meta, children):
        (key, key_span), value = children
        return Setting(key, key_span, value, _span(meta))

    def setting_key(self, meta, children):
        return (".".join(str(c) for c in children), _span(meta))

    def use(self, meta, children):
        return Use(str(children[0]), _span(meta))

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
    "QUALIFIED_ID": "a node id", "MINUS": "`-`", "PLUS": "`+`", "STAR": "`*`", "SLASH": "`/`",
    "TRUE": "`true`", "FALSE": "`false`", "LBRACE": "`{`", "RBRACE": "`}`", "DOT": "`.`",
    "PARAM": "`param`", "SETTINGS": "`settings`", "USE": "`use`", "IN": "`in`", "LIBRARY": "a node library such as `max/plantarium`",
    "INPUT_INDEX": "an input index", "_DOTS": "`..`", "$END": "the end of the file",
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
    # The LALR parser's other error: it reports the end of the file as a `$END` token too.
    assert isinstance(error, lark.exceptions.UnexpectedToken)
    token = error.token
    if token.type == "$END":
        return Diagnostic("E001", "the file ends in the middle of a statement",
                          Span(line, col, line, col + 1), _describe_expected(getattr(error, "accepts", None) or error.expected))
    expected = _describe_expected(getattr(error, "accepts", None) or error.expected)
    if col == 1 and line > 1:
        return Diagnostic("E001", f"unexpected `{token}`: the statement before this line is not finished",
                          Span(line, col, line, col + len(str(token))), expected)
    return Diagnostic("E001", f"unexpected `{token}`", Span(line, col, line, col + len(str(token))), expected)


# Past this many syntax errors in one file, the rest are likely follow-ups of the first ones.
MAX_SYNTAX_ERRORS = 20


def _blank_statement(text: str, line: int, col: int) -> str:
    """`text` with the statement holding a syntax error at `line`:`col` turned into spaces, so the
    rest can be parsed for errors of its own. A statement starts with a letter or `_` in column 1;
    an error on the first token of such a line belongs to the statement before it (an unclosed
    call, for instance)."""
    lines = text.split("\n")
    starts = [i for i, content in enumerate(lines) if content[:1].isalpha() or content[:1] == "_"]
    at = min(line, len(lines)) - 1
    before = [i for i in starts if i <= at]
    first = before[-1] if before else 0
    if first == at and col == 1 and len(before) > 1:
        first = before[-2]
    last = next((i for i in starts if i > first), len(lines))
    for i in range(first, last):
        lines[i] = re.sub(r"[^\s]", " ", lines[i])
    return "\n".join(lines)


def parse(text: str, name: str = "<input>") -> Program:
    """Parse a whole file; syntax errors raise SourceErrors pointing at each of them."""
    source = Source(name, text)
    diagnostics: list[Diagnostic] = []
    remaining = text
    while len(diagnostics) < MAX_SYNTAX_ERRORS:
        try:
            tree = _parser().parse(remaining)
            break
        except lark.exceptions.UnexpectedInput as error:
            diagnostics.append(_syntax_error(source, error))
            blanked = _blank_statement(remaining, max(error.line, 1), max(error.column, 1))
            if blanked == remaining:
                break
            remaining = blanked
    if diagnostics:
        raise SourceErrors(source, diagnostics)
    return Program(source, _build(tree), _comments(text))


# A plain walk rather than a `lark.Transformer`: lark rebuilds its `v_args` wrapper on every method
# lookup, which made building the syntax of a large graph cost as much as parsing it.
_RULES = {name: getattr(_Rules(), name) for name in vars(_Rules) if not name.startswith("_")}


def _build(tree: lark.Tree):
    children = [_build(child) if isinstance(child, lark.Tree) else child for child in tree.children]
    return _RULES[tree.data](tree.meta, children)


def _comments(text: str) -> tuple[Comment, ...]:
    comments, line, counted_to = [], 1, 0
    for match in re.finditer(r"#[^\n]*", text):
        line += text.count("\n", counted_to, match.start())  # from the previous comment on: linear
        counted_to = match.start()
        comments.append(Comment(match.group(), line, match.start() - text.rfind("\n", 0, match.start())))
    return tuple(comments)
