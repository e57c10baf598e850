"""Parse `.ndg` text into a syntax tree of plain data classes.

A hand-written recursive-descent parser for the grammar in `grammar/ndg.lark` (the language's
reference; a property test holds the two to the same answers). lark's LALR parser took 0.75 s to
parse a 10,000-node graph even without position propagation; this one reads it in a tenth of that,
reports a missing `)` at its `(`, and recovers from a syntax error at the next statement in linear
time. Its limits (file size, nesting depth, number length, syntax errors) are user errors.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from ndg.compiler.collector import cycle_collection_paused
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
    """Arithmetic: `op` is one of + - * / // %."""

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


# Limits: past them a file is refused with a located error instead of being parsed slowly, or
# failing deep inside Python (recursion, its 4,300-digit int limit, memory).
MAX_SOURCE_CHARS = 16 * 1024 * 1024  # a 100,000-node graph is about 4 MB
MAX_NESTING = 100  # calls, parentheses, signs and operators inside one another
MAX_NUMBER_LENGTH = 1000
# Past this many syntax errors in one file, the rest are likely follow-ups of the first ones.
MAX_SYNTAX_ERRORS = 20

# Each match is the space before a token and the token; `bad` is a character no token starts with.
_TOKEN = re.compile(r"""
    [ \t\f\r\n]*
    (?:
        (?P<comment>\#[^\n]*)
      | (?P<qualified>[A-Za-z_][A-Za-z0-9_-]*(?:/[A-Za-z_][A-Za-z0-9_-]*)+(?=\s*\())
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<number>(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?)
      | (?P<punct>\.\.|//|[-+*/%(),:=\[\]{}.])
      | (?P<bad>.)
      | (?P<end>\Z)
    )
""", re.VERBOSE)
# A node library after `use`: `max/plantarium`.
_LIBRARY = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*/[A-Za-z_][A-Za-z0-9_-]*")
_BINARY_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "//": 2, "%": 2}
_CLOSERS = {"(": ")", "[": "]", "{": "}"}
_STATEMENT_KEYWORDS = ("param", "settings", "use")

# A token: (kind, text, line, col, offset); the kind of punctuation is its text.
Token = tuple[str, str, int, int, int]


def tokenize(text: str) -> tuple[list[Token], list[Comment]]:
    """The tokens of `text` (its last of kind `end`) and its comments."""
    tokens: list[Token] = []
    comments: list[Comment] = []
    append = tokens.append
    line, line_start = 1, 0
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup
        assert kind is not None  # every alternative of _TOKEN is a named group
        start = match.start(kind)
        if start != match.start():
            newlines = text.count("\n", match.start(), start)
            if newlines:
                line += newlines
                line_start = text.rfind("\n", match.start(), start) + 1
        if kind == "comment":
            comments.append(Comment(match.group(kind), line, start - line_start + 1))
        elif kind == "end":
            break
        else:
            value = match.group(kind)
            append((value if kind == "punct" else kind, value, line, start - line_start + 1, start))
    append(("end", "", line, len(text) - line_start + 1, len(text)))
    return tokens, comments


def _span(first: Token, last: Token) -> Span:
    return Span(first[2], first[3], last[2], last[3] + len(last[1]))


def _number(text: str, span: Span) -> Number:
    is_int = all(ch.isdigit() for ch in text.lstrip("-"))
    return Number(text, int(text) if is_int else float(text), span)


def _negate(number: Number, span: Span) -> Number:
    text = number.text[1:] if number.text.startswith("-") else "-" + number.text
    return Number(text, -number.value, span)


class _SyntaxError(Exception):
    def __init__(self, diagnostic: Diagnostic, resume: int):
        super().__init__(diagnostic.message)
        self.diagnostic = diagnostic
        self.resume = resume  # the token to go on parsing from


_TOKEN_WORDS = {"name": "a name", "number": "a number", "qualified": "a node id", "end": "the end of the file"}


class _Parser:
    """Recursive descent over the token list; each method parses one rule of grammar/ndg.lark."""

    def __init__(self, text: str, tokens: list[Token]):
        self.text = text
        self.tokens = tokens
        self.at = 0
        self.statement_start = 0
        self.open: list[Token] = []  # brackets not yet closed, innermost last
        self.nesting = 0

    # Tokens.

    def peek(self) -> Token:
        return self.tokens[self.at]

    def take(self) -> Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def expect(self, kind: str, expected: str) -> Token:
        token = self.tokens[self.at]
        if token[0] != kind:
            raise self.unexpected(expected)
        self.at += 1
        return token

    def span_from(self, first: Token) -> Span:
        return _span(first, self.tokens[self.at - 1])

    def opening(self, bracket: Token):
        self.open.append(bracket)
        self.deeper(bracket)

    def closing(self, expected: str) -> Token:
        bracket = self.open[-1]
        token = self.expect(_CLOSERS[bracket[0]], expected)
        self.open.pop()
        self.nesting -= 1
        return token

    def deeper(self, token: Token):
        self.nesting += 1
        if self.nesting > MAX_NESTING:
            raise self.too_deep(token)

    # Errors.

    def too_deep(self, token: Token) -> _SyntaxError:
        return self.stop(Diagnostic("E003", f"this expression nests more than {MAX_NESTING} levels deep", _span(token, token),
                                    "bind an inner part to a name (`part = …`) and use the name here"),
                         self.next_statement(self.at))

    def unexpected(self, expected: str) -> _SyntaxError:
        token = self.tokens[self.at]
        kind, text, line = token[0], token[1], token[2]
        starts_statement = token[3] == 1 and kind in ("name", "qualified") and line > self.tokens[self.statement_start][2]
        if self.open and (kind == "end" or starts_statement):
            bracket = self.open[-1]
            closer = _CLOSERS[bracket[0]]
            return self.stop(Diagnostic("E001", f"this `{bracket[0]}` is never closed", _span(bracket, bracket),
                                        f"add `{closer}` where it ends"), self.at)
        if kind == "bad":
            return self.stop(Diagnostic("E001", f"unexpected character `{text}`", _span(token, token),
                                        "names start with a letter or `_`; comments start with `#`"),
                             self.next_statement(self.at + 1))
        if kind == "end":
            return self.stop(Diagnostic("E001", "the file ends in the middle of a statement",
                                        Span(line, token[3], line, token[3] + 1), expected), self.at)
        if starts_statement:
            return self.stop(Diagnostic("E001", f"unexpected `{text}`: the statement before this line is not finished",
                                        _span(token, token), expected), self.at)
        return self.stop(Diagnostic("E001", f"unexpected `{text}`", _span(token, token), expected),
                         self.next_statement(self.at + 1))

    def stop(self, diagnostic: Diagnostic, resume: int) -> _SyntaxError:
        return _SyntaxError(diagnostic, max(resume, self.statement_start + 1))

    def next_statement(self, index: int) -> int:
        """The first token from `index` on that can start a statement: a name in column 1."""
        tokens = self.tokens
        while tokens[index][0] != "end" and not (tokens[index][3] == 1 and tokens[index][0] in ("name", "qualified")):
            index += 1
        return index

    # Rules.

    def program(self) -> tuple[list[Statement], list[Diagnostic]]:
        statements: list[Statement] = []
        diagnostics: list[Diagnostic] = []
        while self.peek()[0] != "end":
            self.statement_start = self.at
            try:
                statements.append(self.statement())
            except _SyntaxError as error:
                diagnostics.append(error.diagnostic)
                if len(diagnostics) >= MAX_SYNTAX_ERRORS:
                    break
                self.at, self.open, self.nesting = error.resume, [], 0
        return statements, diagnostics

    def statement(self) -> Statement:
        first = self.peek()
        kind, text = first[0], first[1]
        if kind == "name" and text in _STATEMENT_KEYWORDS:
            self.at += 1
            keyword: dict[str, Callable[[Token], Statement]] = {"param": self.param, "settings": self.settings,
                                                                 "use": self.use}
            return keyword[text](first)
        if kind == "qualified":
            call = self.call()
            return BareCall(call, call.span)
        if kind != "name":
            raise self.unexpected("expected a statement: `name = …`, a node call, `param`, `settings` or `use`")
        following = self.tokens[self.at + 1][0]
        if following == "(":
            call = self.call()
            return BareCall(call, call.span)
        self.at += 1
        self.expect("=", "expected `=` or `(`")
        value, _ = self.expression()
        return Binding(text, _span(first, first), value, self.span_from(first))

    def param(self, keyword: Token) -> Param:
        name = self.expect("name", "expected a name")
        self.expect(":", "expected `:`")
        type_ = self.expect("name", "expected a name")
        self.expect("=", "expected `=`")
        default = self.constant()
        low = high = None
        if self.peek()[0] == "name" and self.peek()[1] == "in":
            self.at += 1
            low = self.signed()
            self.expect("..", "expected `..`")
            high = self.signed()
        return Param(name[1], _span(name, name), type_[1], _span(type_, type_), default, low, high,
                     self.span_from(keyword))

    def settings(self, keyword: Token) -> Settings:
        self.opening(self.expect("{", "expected `{`"))
        entries = []
        while self.peek()[0] != "}":
            entries.append(self.setting())
            if self.peek()[0] != ",":
                break
            self.at += 1
        self.closing("expected `,` or `}`")
        return Settings(tuple(entries), self.span_from(keyword))

    def setting(self) -> Setting:
        first = self.expect("name", "expected a setting name or `}`")
        key = [first[1]]
        while self.peek()[0] == ".":
            self.at += 1
            key.append(self.expect("name", "expected a name")[1])
        key_span = self.span_from(first)
        self.expect(":", "expected `:` or `.`")
        value = self.constant()
        return Setting(".".join(key), key_span, value, self.span_from(first))

    def use(self, keyword: Token) -> Use:
        # A library name may hold `-`, which the tokens read as a minus: read it from the text.
        first = self.peek()
        match = _LIBRARY.match(self.text, first[4]) if first[0] != "end" else None
        if match is None:
            raise self.unexpected("expected a node library such as `max/plantarium`")
        while self.peek()[4] < match.end():
            if self.peek()[4] + len(self.peek()[1]) > match.end():
                raise self.unexpected("expected a node library such as `max/plantarium`")
            self.at += 1
        line, col = first[2], first[3]
        return Use(match.group(), Span(keyword[2], keyword[3], line, col + len(match.group())))

    def constant(self) -> Literal:
        """A parameter's default or a setting: a literal with its sign, no arithmetic."""
        token = self.peek()
        if token[0] == "name" and token[1] in ("true", "false"):
            self.at += 1
            return Bool(token[1] == "true", _span(token, token))
        if token[0] == "[":
            return self.vec3()
        return self.signed()

    def signed(self) -> Number:
        first = self.peek()
        if first[0] == "-":
            self.at += 1
        number = self.number("expected a number")
        span = self.span_from(first)
        return _negate(number, span) if first[0] == "-" else Number(number.text, number.value, span)

    def number(self, expected: str) -> Number:
        token = self.expect("number", expected)
        if len(token[1]) > MAX_NUMBER_LENGTH:
            raise self.stop(Diagnostic("E002", f"this number is {len(token[1]):,} characters long; ndg reads numbers "
                                               f"of up to {MAX_NUMBER_LENGTH:,}", _span(token, token),
                                       "write it with an exponent, such as 1e30"), self.next_statement(self.at))
        return _number(token[1], _span(token, token))

    def vec3(self) -> Vec3:
        first = self.take()
        self.opening(first)
        items = [self.signed()]
        for _ in range(2):
            self.expect(",", "expected `,`")
            items.append(self.signed())
        self.closing("expected `]`")
        return Vec3((items[0], items[1], items[2]), self.span_from(first))

    def expression(self, lowest: int = 1) -> tuple[Expr, int]:
        """An expression and how deep its tree is; operators of precedence `lowest` and up."""
        first = self.peek()
        left, depth = self.unary()
        while True:
            operator = self.peek()
            precedence = _BINARY_PRECEDENCE.get(operator[0], 0)
            if precedence < lowest:
                return left, depth
            self.at += 1
            right, right_depth = self.expression(precedence + 1)
            depth = max(depth, right_depth) + 1
            if depth > MAX_NESTING:
                raise self.too_deep(operator)
            left = BinOp(operator[0], left, right, self.span_from(first))

    def unary(self) -> tuple[Expr, int]:
        first = self.peek()
        if first[0] != "-":
            return self.atom()
        self.at += 1
        self.deeper(first)
        operand, depth = self.unary()
        self.nesting -= 1
        if isinstance(operand, Number):
            return _negate(operand, self.span_from(first)), depth
        return Neg(operand, self.span_from(first)), depth + 1

    def atom(self) -> tuple[Expr, int]:
        token = self.peek()
        kind = token[0]
        if kind == "number":
            return self.number("expected a number"), 0
        if kind == "name":
            if token[1] in ("true", "false"):
                self.at += 1
                return Bool(token[1] == "true", _span(token, token)), 0
            if self.tokens[self.at + 1][0] == "(":
                return self.call_and_depth()
            self.at += 1
            return Ref(token[1], _span(token, token)), 0
        if kind == "qualified":
            return self.call_and_depth()
        if kind == "[":
            return self.vec3(), 0
        if kind == "(":
            self.opening(self.take())
            inner, depth = self.expression()
            self.closing("expected `)` or an operator")
            return inner, depth
        raise self.unexpected("expected a value: a number, a name, a node call, `true`, `false`, `[` or `(`")

    def call(self) -> Call:
        return self.call_and_depth()[0]

    def call_and_depth(self) -> tuple[Call, int]:
        node_id = self.take()
        self.opening(self.take())
        args, depth = [], 0
        while self.peek()[0] != ")":
            arg, arg_depth = self.arg()
            args.append(arg)
            depth = max(depth, arg_depth)
            if self.peek()[0] != ",":
                break
            self.at += 1
        self.closing("expected `)` or `,`")
        return Call(node_id[1], _span(node_id, node_id), tuple(args), self.span_from(node_id)), depth + 1

    def arg(self) -> tuple[Arg, int]:
        name = self.peek()
        # Nodarium names some inputs by position (vec3 has inputs "0", "1", "2").
        if not (name[0] == "name" or (name[0] == "number" and name[1].isdigit())):
            raise self.unexpected("expected an input name or `)`")
        self.at += 1
        self.expect(":", "expected `:`")
        value, depth = self.expression()
        return Arg(name[1], _span(name, name), value, self.span_from(name)), depth


def parse(text: str, name: str = "<input>") -> Program:
    """Parse a whole file; syntax errors raise SourceErrors pointing at each of them."""
    text = text.removeprefix("\ufeff")  # a byte-order mark some editors write
    source = Source(name, text)
    if len(text) > MAX_SOURCE_CHARS:
        raise SourceErrors(source, [Diagnostic(
            "E004", f"this file is {len(text):,} characters long; ndg reads .ndg files of up to {MAX_SOURCE_CHARS:,}",
            Span(1, 1, 1, 2), "a graph this big is generated: generate it in parts, or with fewer nodes")])
    with cycle_collection_paused():  # the collector's walks over the growing token and tree lists made parsing superlinear
        tokens, comments = tokenize(text)
        statements, diagnostics = _Parser(text, tokens).program()
    if diagnostics:
        raise SourceErrors(source, diagnostics)
    return Program(source, tuple(statements), tuple(comments))
