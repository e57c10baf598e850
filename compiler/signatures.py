"""A node's `execute` in its `src/lib.rs` against its definition, checked before rustc runs.

The generated wrapper calls `execute` with the inputs in the definition's order, so a parameter
list that differs from the definition (two inputs swapped, one missing, another type) would
compile and compute the wrong thing. Each parameter must be the definition's input at its
position: its name in snake case (`lowestBranch` → `lowest_branch`; a leading `_` is allowed for
an unused one; inputs named `0`, `1`, `2` like vec3's cannot be Rust names and are matched by
position), of the Rust type the input's type is passed as. A node with a bulk output takes
`out: &mut Writer` last; one with a scalar output returns the scalar's Rust type.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from pathlib import Path

from ndg.compiler.definitions import DEFINITION_FILE, NodeDef
from ndg.compiler.diagnostics import Diagnostic, Source, SourceErrors, Span
from ndg.errors import UserError
from ndg.runtime.abi import BULK_TYPES, ValueType

RUST_TYPES = {
    ValueType.FLOAT: "f32", ValueType.INTEGER: "i32", ValueType.SELECT: "i32", ValueType.SEED: "i32",
    ValueType.BOOLEAN: "bool", ValueType.VEC3: "[f32; 3]",
    ValueType.PATH: "Items", ValueType.GEOMETRY: "Items", ValueType.INSTANCES: "Items",
}
# Inputs whose definition says `per_use` arrive unevaluated (ndg_util::expr).
PER_USE_RUST_TYPES = {ValueType.FLOAT: "Float", ValueType.VEC3: "Vec3"}
WRITER_TYPE = "&mut Writer"
_EXECUTE = re.compile(r"\bpub\s+fn\s+execute\b")
_PARAMETER = re.compile(r"\s*(?:mut\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*:\s*(?P<type>\S.*?)\s*\Z", re.S)
_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*\Z")
_OPENING, _CLOSING = "([{<", ")]}>"


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str  # as written, whitespace collapsed
    span: Span


@dataclass(frozen=True)
class Signature:
    parameters: tuple[Parameter, ...]
    returns: str | None
    name_span: Span


def snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


_COMMENT_OR_LITERAL = re.compile(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])\'', re.S)
_NOT_NEWLINE = re.compile(r"[^\n]")


def _blank_comments(text: str) -> str:
    """`text` with comments, strings and chars blanked out, so offsets and lines stay where they were."""
    return _COMMENT_OR_LITERAL.sub(lambda match: _NOT_NEWLINE.sub(" ", match.group()), text)


def _normal(type_text: str) -> str:
    """A type as compared: whitespace collapsed, paths and lifetimes dropped (`ndg_util::Items<'a>` → `Items`)."""
    text = re.sub(r"\s+", " ", type_text.strip())
    text = re.sub(r"<\s*'[A-Za-z_]+\s*>", "", text)
    text = re.sub(r"\b(?:[A-Za-z_][A-Za-z0-9_]*::)+", "", text)
    text = re.sub(r"&\s*'[A-Za-z_]+\s+", "&", text)
    text = re.sub(r"\[\s*(\S+?)\s*;\s*(\S+?)\s*\]", r"[\1; \2]", text)
    return re.sub(r"&\s*mut\s+", "&mut ", text)


def lib_rs(node: NodeDef) -> Path:
    return node.folder / "src" / "lib.rs"


class _Positions:
    def __init__(self, text: str):
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def span(self, start: int, end: int) -> Span:
        line = bisect.bisect_right(self.starts, start) - 1
        end_line = bisect.bisect_right(self.starts, max(end - 1, start)) - 1
        return Span(line + 1, start - self.starts[line] + 1, end_line + 1, end - self.starts[end_line] + 1)


def read_signature(text: str) -> Signature | None:
    """The parameters and return type of the top-level `pub fn execute` in Rust source `text`."""
    code = _blank_comments(text)
    positions = _Positions(text)
    for match in _EXECUTE.finditer(code):
        before = code[: match.start()]
        if before.count("{") != before.count("}"):
            continue  # inside a module or impl, not the crate's own function
        open_at = code.index("(", match.end())
        depth, at, pieces, piece_start = 0, open_at + 1, [], open_at + 1
        while at < len(code):
            char = code[at]
            if char in _OPENING:
                depth += 1
            elif char in _CLOSING and not (char == ">" and code[at - 1] == "-"):
                if depth == 0:
                    break
                depth -= 1
            elif char == "," and depth == 0:
                pieces.append((piece_start, at))
                piece_start = at + 1
            at += 1
        if code[piece_start:at].strip():
            pieces.append((piece_start, at))
        parameters = []
        for start, end in pieces:
            found = _PARAMETER.match(code[start:end])
            lead = len(code[start:end]) - len(code[start:end].lstrip())
            stripped_end = start + len(code[start:end].rstrip())
            span = positions.span(start + lead, stripped_end)
            if found is None:
                parameters.append(Parameter("", code[start:end].strip(), span))
            else:
                parameters.append(Parameter(found["name"], _normal(found["type"]), span))
        rest = code[at + 1 :]
        returns = re.match(r"\s*->\s*([^{]*?)\s*(?:where\b|\{)", rest, re.S)
        name_start = code.index("execute", match.start())
        return Signature(tuple(parameters), _normal(returns[1]) if returns else None,
                         positions.span(name_start, name_start + len("execute")))
    return None


def _expected(node: NodeDef) -> list[tuple[str, str, str]]:
    """(Rust name or "" when any, Rust type, what the definition says) for every parameter."""
    wanted = []
    for input_def in node.inputs:
        name = snake_case(input_def.name)
        rust_type = PER_USE_RUST_TYPES.get(input_def.type) if input_def.per_use else None
        wanted.append((name if _IDENTIFIER.match(name) else "", rust_type or RUST_TYPES[input_def.type],
                       f"input `{input_def.name}` ({input_def.type})"))
    if node.output in (*BULK_TYPES, ValueType.RESULT):
        wanted.append(("out", WRITER_TYPE, f"the output writer (the node outputs {node.output})"))
    return wanted


def signature_problems(node: NodeDef, signature: Signature) -> list[Diagnostic]:
    wanted = _expected(node)
    listed = ", ".join(f"{name or '_'}: {type_}" for name, type_, _ in wanted)
    order_hint = f"in the order of {DEFINITION_FILE}, `execute` takes ({listed})"
    problems = []
    for index, (parameter, (name, type_, what)) in enumerate(zip(signature.parameters, wanted)):
        given = parameter.name.lstrip("_") if parameter.name.startswith("_") and name else parameter.name
        if not parameter.name:
            problems.append(Diagnostic("E501", f"ndg cannot read parameter {index + 1} of `execute`",
                                       parameter.span, "write each parameter as `name: Type`"))
        elif name and given != name:
            elsewhere = next((w for w in wanted if w[0] == given), None)
            why = (f"`{given}` is {elsewhere[2]}, which the definition lists at position "
                   f"{wanted.index(elsewhere) + 1}" if elsewhere else f"the definition has no input `{given}`")
            problems.append(Diagnostic("E502", f"parameter {index + 1} of `execute` is `{parameter.name}`, but the "
                                       f"wrapper passes {what} there: {why}", parameter.span, order_hint))
        elif parameter.type != type_:
            problems.append(Diagnostic("E503", f"parameter `{parameter.name}` is `{parameter.type}`, but {what} "
                                       f"is passed as `{type_}`", parameter.span, f"declare it `{parameter.name}: {type_}`"))
    if len(signature.parameters) != len(wanted):
        extra = signature.parameters[len(wanted):]
        span = extra[0].span if extra else signature.name_span
        problems.append(Diagnostic("E504", f"`execute` takes {len(signature.parameters)} parameters, but "
                                   f"{node.id}'s {DEFINITION_FILE} gives it {len(wanted)}", span, order_hint))
    scalar = RUST_TYPES.get(node.output) if node.output not in BULK_TYPES else None
    if scalar is not None and signature.returns != scalar:
        problems.append(Diagnostic("E503", f"`execute` returns `{signature.returns or '()'}`, but the node outputs "
                                   f"{node.output}, which is written from `{scalar}`", signature.name_span,
                                   f"declare `-> {scalar}`"))
    return problems


def check_signature(node: NodeDef) -> None:
    """Refuse, before rustc runs, a node whose `execute` does not take its definition's inputs."""
    path = lib_rs(node)
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError) as error:
        raise UserError(f"cannot read the source of node `{node.id}` ({path}): {error}") from None
    source = Source(str(path), text)
    signature = read_signature(text)
    if signature is None:
        raise SourceErrors(source, [Diagnostic("E500", f"node `{node.id}` has no top-level `pub fn execute`",
                                               Span(1, 1, 1, 2), "define `pub fn execute(…)` taking the node's inputs")])
    problems = signature_problems(node, signature)
    if problems:
        raise SourceErrors(source, problems)
