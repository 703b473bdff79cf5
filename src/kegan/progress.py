"""Progress bars for long work (rich), written to stderr so stdout stays for summaries."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

T = TypeVar("T")

console = Console(stderr=True, soft_wrap=True)  # a log file gets whole lines, not lines cut at 80 columns


#: Seconds between plain progress lines when stderr is not a terminal (a log file, CI).
LOG_EVERY_S = 30.0


class _Progress(Progress):
    """rich's Progress, plus a plain line every LOG_EVERY_S seconds when stderr is not a terminal:
    there rich draws its bars only once, at the end, so a long stage would look hung in a log."""

    def __init__(self, *columns, **kwargs):
        super().__init__(*columns, **kwargs)
        self._last_line = time.monotonic()

    def update(self, task_id, **kwargs) -> None:
        super().update(task_id, **kwargs)
        self._maybe_log(task_id)

    def advance(self, task_id, advance: float = 1) -> None:
        super().advance(task_id, advance)
        self._maybe_log(task_id)

    def _maybe_log(self, task_id) -> None:
        if self.disable or self.console.is_terminal or time.monotonic() - self._last_line < LOG_EVERY_S:
            return
        self._last_line = time.monotonic()
        task = self._tasks[task_id]
        of = f"/{task.total:g}" if task.total is not None else ""
        info = task.fields.get("info", "")
        sys.stderr.write(f"{task.description}: {task.completed:g}{of}, {task.elapsed or 0:.0f} s {info}".rstrip() + "\n")
        sys.stderr.flush()


def make_progress(transient: bool = False) -> Progress:
    """A rich Progress with the columns kegan uses everywhere (plain lines when stderr is not a terminal)."""
    return _Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[info]}"),
        console=console,
        transient=transient,
    )


def track(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    """Iterate with a progress bar."""
    if total is None and hasattr(items, "__len__"):
        total = len(items)  # type: ignore[arg-type]
    with make_progress() as prog:
        task = prog.add_task(description, total=total, info="")
        for item in items:
            yield item
            prog.advance(task)


def say(message: str) -> None:
    """A status line on stderr (stage headers, warnings)."""
    console.print(message)
