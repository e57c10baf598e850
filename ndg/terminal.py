"""Output to a terminal or a pipe: colour on a terminal unless NO_COLOR is set (no-color.org), tables
unwrapped when piped."""

from __future__ import annotations

import os
import sys

# Columns a table may take when the output is not a terminal.
PIPED_WIDTH = 1000


def wants_colour(stream) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def console(stderr: bool = False):
    """A rich Console for tables: on a terminal, its width; piped, wide enough never to wrap a line
    (a table cut at 80 columns splits words, and scripts read the lines)."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    return Console(stderr=stderr, width=None if stream.isatty() else PIPED_WIDTH)
