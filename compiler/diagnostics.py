"""Source positions and diagnostics that point at them: `file:line:col`, the line, a caret."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from ndg.errors import UserError


@dataclass(frozen=True)
class Span:
    """A range in a source file; lines and columns count from 1, `end_col` is exclusive."""

    line: int
    col: int
    end_line: int
    end_col: int


@dataclass(frozen=True)
class Source:
    name: str
    text: str

    def line_text(self, line: int) -> str:
        # Lines as the parser counts them: only "\n" ends a line (a form feed is just whitespace).
        lines = self.text.split("\n")
        return lines[line - 1].rstrip("\r") if 0 < line <= len(lines) else ""


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    span: Span
    hint: str | None = None

    def render(self, source: Source) -> str:
        line = source.line_text(self.span.line)
        end = self.span.end_col if self.span.end_line == self.span.line else len(line) + 1
        width = max(1, end - self.span.col)
        gutter = " " * len(str(self.span.line))
        parts = [
            f"error[{self.code}]: {self.message}",
            f"{gutter}--> {source.name}:{self.span.line}:{self.span.col}",
            f"{gutter} |",
            f"{self.span.line} | {line}",
            f"{gutter} | {' ' * (self.span.col - 1)}{'^' * width}",
        ]
        if self.hint:
            parts.append(f"{gutter} = hint: {self.hint}")
        return "\n".join(parts)


@dataclass
class SourceErrors(UserError):
    """Every independent error found in one source file."""

    source: Source
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def __post_init__(self):
        count = len(self.diagnostics)
        super().__init__(f"{self.source.name}: {count} error{'s' if count != 1 else ''}")

    def render(self) -> str:
        ordered = sorted(self.diagnostics, key=lambda d: (d.span.line, d.span.col))
        return "\n\n".join(d.render(self.source) for d in ordered)


def did_you_mean(name: str, candidates) -> str | None:
    """A hint naming the closest candidate, if one is close enough to be a likely typo."""
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None
