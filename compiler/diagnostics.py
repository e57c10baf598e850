"""Source positions and diagnostics that point at them: `file:line:col`, the line, a caret."""

from __future__ import annotations

import difflib
import html
import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

from ndg.errors import UserError


class Span(NamedTuple):
    """A range in a source file; lines and columns count from 1, `end_col` is exclusive. (A named
    tuple: a large graph has hundreds of thousands, and a tuple is made three times as fast.)"""

    line: int
    col: int
    end_line: int
    end_col: int


@dataclass(frozen=True)
class Source:
    name: str
    text: str

    @cached_property
    def _line_starts(self) -> list[int]:
        # Lines as the parser counts them: only "\n" ends a line (a form feed is just whitespace).
        return [0, *(match.end() for match in re.finditer("\n", self.text))]

    def line_text(self, line: int) -> str:
        starts = self._line_starts
        if not 0 < line <= len(starts):
            return ""
        end = starts[line] - 1 if line < len(starts) else len(self.text)
        return self.text[starts[line - 1] : end].rstrip("\r")


# A source line wider than this is shown as a window around the caret.
SHOWN_LINE_WIDTH = 120
# Past this many, diagnostics are counted, not shown: the rest are rarely news and printing
# hundreds of thousands of them takes minutes.
MAX_SHOWN_DIAGNOSTICS = 50

# ANSI styles for a terminal, as rustc colours its diagnostics.
_STYLES = {"error": "\x1b[1;31m", "caret": "\x1b[1;31m", "gutter": "\x1b[1;34m", "hint": "\x1b[1;36m",
           "message": "\x1b[1m"}
_HTML_COLOURS = {"error": "#c0392b", "caret": "#c0392b", "gutter": "#2962a8", "hint": "#16808a", "message": None}


def _plain(text: str, style: str) -> str:
    return text


def _ansi(text: str, style: str) -> str:
    return f"{_STYLES[style]}{text}\x1b[0m"


def _html(text: str, style: str) -> str:
    colour = _HTML_COLOURS[style]
    weight = "font-weight:bold"
    return f'<span style="{weight}{f";color:{colour}" if colour else ""}">{text}</span>'


def _window(line: str, col: int, width: int) -> tuple[str, int, int]:
    """A wide line cut to SHOWN_LINE_WIDTH characters around the caret (`col`, `width`), marked `…`."""
    if len(line) <= SHOWN_LINE_WIDTH:
        return line, col, width
    start = max(0, min(col - 1 - SHOWN_LINE_WIDTH // 3, len(line) - SHOWN_LINE_WIDTH))
    prefix = "…" if start else ""
    suffix = "…" if start + SHOWN_LINE_WIDTH < len(line) else ""
    shown_col = col - start + len(prefix)
    return (prefix + line[start : start + SHOWN_LINE_WIDTH] + suffix, shown_col,
            max(1, min(width, SHOWN_LINE_WIDTH + 1 + len(prefix) - shown_col)))


@dataclass(frozen=True)
class Diagnostic:
    code: str
    message: str
    span: Span
    hint: str | None = None

    def render(self, source: Source, style=_plain, escape=str) -> str:
        """rustc's layout: the message, `file:line:col`, the line and a caret under the span.
        `style(text, role)` colours a part; `escape` makes source text safe for the output."""
        line = source.line_text(self.span.line)
        end = self.span.end_col if self.span.end_line == self.span.line else len(line) + 1
        line, col, width = _window(line, self.span.col, max(1, end - self.span.col))
        gutter = " " * len(str(self.span.line))
        bar = style(f"{gutter} |", "gutter")
        parts = [
            f"{style(f'error[{self.code}]', 'error')}{style(': ' + escape(self.message), 'message')}",
            f"{style(f'{gutter}-->', 'gutter')} {escape(source.name)}:{self.span.line}:{self.span.col}",
            bar,
            f"{style(f'{self.span.line} |', 'gutter')} {escape(line)}",
            f"{bar} {' ' * (col - 1)}{style('^' * width, 'caret')}",
        ]
        if self.hint:
            parts.append(f"{style(f'{gutter} = hint:', 'hint')} {escape(self.hint)}")
        return "\n".join(parts)

    def as_json(self, source: Source) -> dict:
        span = self.span
        return {"code": self.code, "message": self.message, "file": source.name, "line": span.line,
                "col": span.col, "end_line": span.end_line, "end_col": span.end_col, "hint": self.hint}


@dataclass
class SourceErrors(UserError):
    """Every independent error found in one source file, in source order. `str()`, `render()` and
    the notebook reprs show them as the CLI does."""

    source: Source
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def __post_init__(self):
        self.diagnostics = sorted(self.diagnostics, key=lambda d: (d.span.line, d.span.col))
        count = len(self.diagnostics)
        first = self.diagnostics[0] if self.diagnostics else None
        super().__init__(f"{self.source.name}: {count:,} error{'s' if count != 1 else ''}",
                         first.hint if first else None)

    def render(self, colour: bool = False) -> str:
        return self._rendered(_ansi if colour else _plain, str)

    def _rendered(self, style, escape) -> str:
        shown = self.diagnostics[:MAX_SHOWN_DIAGNOSTICS]
        parts = [d.render(self.source, style, escape) for d in shown]
        hidden = len(self.diagnostics) - len(shown)
        if hidden:
            parts.append(f"… and {hidden:,} more error{'s' if hidden != 1 else ''} in {escape(self.source.name)} "
                         f"(the first {len(shown)} are shown)")
        return "\n\n".join(parts)

    def __str__(self) -> str:
        return self.render()

    def _repr_pretty_(self, printer, cycle) -> None:
        printer.text(self.render())

    def _repr_html_(self) -> str:
        return f"<pre>{self._rendered(_html, html.escape)}</pre>"


def did_you_mean(name: str, candidates) -> str | None:
    """A hint naming the closest candidate, if one is close enough to be a likely typo."""
    # Unsorted: ties are broken by the names themselves, so the order cannot change the hint,
    # and sorting each time would make a file of many misspellings n log n per hint.
    close = difflib.get_close_matches(name, set(candidates), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None
