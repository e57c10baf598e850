"""Progress for long steps: a spinner per stage and a bar for batches, on stderr.

Shown only when stderr is a terminal and the user did not ask for quiet; every stage is timed
either way, so `--json` summaries can report where the time went.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from time import perf_counter

from rich.console import Console


class Stages:
    def __init__(self, quiet: bool = False, console: Console | None = None):
        self.console = console or Console(stderr=True)
        self.visible = not quiet and self.console.is_terminal
        self.timings: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str, description: str) -> Iterator[None]:
        """Time the block as `name`; on a terminal show `description` with a spinner while it runs."""
        start = perf_counter()
        if self.visible:
            with self.console.status(description):
                yield
        else:
            yield
        elapsed = perf_counter() - start
        self.timings[name] = self.timings.get(name, 0.0) + elapsed
        if self.visible:
            self.console.print(f"[green]✓[/] {description} [dim]{elapsed:.2f}s[/]", highlight=False)

    @contextmanager
    def bar(self, description: str, total: int) -> Iterator[Callable[..., None]]:
        """A progress bar over `total` units; the block calls the yielded function with the number of
        units done since its last call (1 when left out)."""
        if not self.visible:
            yield lambda count=1: None
            return
        # Imported here: only batches show a bar, and every `ndg` start would pay for it.
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        def rate(task) -> str:
            return f"{task.speed:,.1f}/s" if task.speed else "…/s"

        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("{task.fields[rate]}"), TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn())
        with Progress(*columns, console=self.console, transient=False) as progress:
            task = progress.add_task(description, total=total, rate="…/s")

            def advance(count: int = 1) -> None:
                progress.advance(task, count)
                progress.update(task, rate=rate(next(t for t in progress.tasks if t.id == task)))

            yield advance
