"""`ndg fmt`: print a syntax tree in the one canonical style, keeping every comment.

The style: one statement per line, `name: value` arguments separated by `, `, spaces around
arithmetic operators and only the parentheses the meaning needs; a call longer than
`LINE_WIDTH` puts one argument per line; the settings block has one setting per line. Statements
stay in the order written; one blank line is kept where the source had any.

Comments stay where they were: a comment after code stays at the end of its statement; a comment
on a line of its own stays before the statement that follows it; a comment inside a statement
that is printed on fewer lines moves to just before that statement.
"""

from __future__ import annotations

from bisect import bisect_right

from ndg.compiler import syntax
from ndg.compiler.collector import cycle_collection_paused

LINE_WIDTH = 100
INDENT = "    "
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2, "//": 2, "%": 2}
_UNARY = 3


def format_program(program: syntax.Program) -> str:
    """The canonical text of a parsed program."""
    with cycle_collection_paused():
        return _format(program)


def _format(program: syntax.Program) -> str:
    owned = _comments_by_owner(program)
    blocks: list[tuple[int, int, list[str]]] = []  # first source line, last source line, output lines
    for index, statement in enumerate(program.statements):
        mine = owned.get(index, [])
        trailing = next((c for c in reversed(mine) if c.line == statement.span.end_line
                         and not _own_line(program, c)), None)
        leading = [c.text.rstrip() for c in mine if c is not trailing]
        lines = _statement(statement)
        if trailing:
            lines[-1] += "  " + trailing.text.rstrip()
        blocks.append((statement.span.line, statement.span.end_line, leading + lines))
    for comment in owned.get(None, []):
        blocks.append((comment.line, comment.line, [comment.text.rstrip()]))
    blocks.sort(key=lambda block: block[0])
    out: list[str] = []
    previous_end = None
    for first, last, lines in blocks:
        if previous_end is not None and first - previous_end > 1:
            out.append("")
        out.extend(lines)
        previous_end = last
    return "\n".join(out) + "\n" if out else ""


def _own_line(program: syntax.Program, comment: syntax.Comment) -> bool:
    return not program.source.line_text(comment.line)[: comment.col - 1].strip()


def _comments_by_owner(program: syntax.Program) -> dict[int | None, list[syntax.Comment]]:
    """Each comment on a line a statement spans belongs to the last such statement (key: its index);
    the others to no statement (key None). Statements follow one another, so the only candidate is
    the last one starting on or before the comment's line."""
    starts = [statement.span.line for statement in program.statements]
    owned: dict[int | None, list[syntax.Comment]] = {}
    for comment in program.comments:
        index = bisect_right(starts, comment.line) - 1
        owner = None if index < 0 or program.statements[index].span.end_line < comment.line else index
        owned.setdefault(owner, []).append(comment)
    return owned


def _statement(statement: syntax.Statement) -> list[str]:
    if isinstance(statement, syntax.Binding):
        return _with_call_broken(f"{statement.name} = ", statement.value)
    if isinstance(statement, syntax.BareCall):
        return _with_call_broken("", statement.call)
    if isinstance(statement, syntax.Param):
        text = f"param {statement.name}: {statement.type} = {expression(statement.default)}"
        if statement.low is not None:
            text += f" in {statement.low.text}..{statement.high.text}"
        return [text]
    if isinstance(statement, syntax.Settings):
        if not statement.entries:
            return ["settings {}"]
        return ["settings {", *(f"{INDENT}{e.key}: {expression(e.value)}," for e in statement.entries), "}"]
    return [f"use {statement.library}"]


def _with_call_broken(prefix: str, value: syntax.Expr) -> list[str]:
    """The statement on one line, or its call's arguments one per line when that line is too long."""
    line = prefix + expression(value)
    if len(line) <= LINE_WIDTH or not isinstance(value, syntax.Call) or not value.args:
        return [line]
    return [f"{prefix}{value.node_id}(", *(f"{INDENT}{_arg(a)}," for a in value.args), ")"]


def _arg(arg: syntax.Arg) -> str:
    return f"{arg.name}: {expression(arg.value)}"


def _precedence(expr: syntax.Expr) -> int:
    return _PRECEDENCE[expr.op] if isinstance(expr, syntax.BinOp) else _UNARY


def expression(expr: syntax.Expr) -> str:
    """One expression on one line."""
    if isinstance(expr, syntax.Call):
        return f"{expr.node_id}({', '.join(_arg(a) for a in expr.args)})"
    if isinstance(expr, syntax.Ref):
        return expr.name
    if isinstance(expr, syntax.Number):
        return expr.text
    if isinstance(expr, syntax.Bool):
        return "true" if expr.value else "false"
    if isinstance(expr, syntax.Vec3):
        return "[" + ", ".join(n.text for n in expr.items) + "]"
    if isinstance(expr, syntax.Neg):
        operand = expression(expr.operand)
        return "-" + (f"({operand})" if _precedence(expr.operand) < _UNARY else operand)
    own = _PRECEDENCE[expr.op]
    left, right = expression(expr.left), expression(expr.right)
    # Operators group left to right, so a right operand of the same precedence keeps its parentheses.
    if _precedence(expr.left) < own:
        left = f"({left})"
    if _precedence(expr.right) <= own and isinstance(expr.right, syntax.BinOp):
        right = f"({right})"
    return f"{left} {expr.op} {right}"
