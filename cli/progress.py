"""The one progress display of long commands (score, replay, pull, wilayah load).

It draws on stderr only when stderr is a terminal, one line redrawn in place; into a file or a
pipe it writes nothing (no carriage returns in logs): the command's summary line says what
was done.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import click

# Redraws per second at most: a fast loop must not spend its time on the terminal.
RATE = 10


class Progress:
    """A line such as `pull pertemuan_imp: page 3, 2,100 records` kept up to date."""

    def __init__(self, label: str, stream: IO[str] | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.live = _is_terminal(self.stream)
        self._last = 0.0
        self._width = 0

    def __call__(self, detail: str) -> None:
        """Show detail (the latest state of the work); cheap to call often."""
        self.update(detail)

    def update(self, detail: str, *, force: bool = False) -> None:
        """Redraw the line with detail, at most RATE times a second unless forced."""
        if not self.live:
            return
        now = time.monotonic()
        if not force and now - self._last < 1 / RATE:
            return
        self._last = now
        text = f"{self.label}: {detail}" if self.label else detail
        pad = max(0, self._width - len(text))
        self._width = len(text)
        click.echo("\r" + text + " " * pad, nl=False, file=self.stream)

    def count(self, done: int, total: int | None = None, what: str = "") -> None:
        """Show `done of total what`."""
        of = f" of {total:,}" if total is not None else ""
        self.update(f"{done:,}{of} {what}".rstrip(), force=total is not None and done >= total)

    def close(self) -> None:
        """Clear the line, so the summary that follows starts clean."""
        if self.live and self._width:
            click.echo("\r" + " " * self._width + "\r", nl=False, file=self.stream)
            self._width = 0


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


@contextmanager
def progress(label: str, stream: IO[str] | None = None) -> Iterator[Progress]:
    """A Progress for the duration of a block, cleared at its end (error or not)."""
    shown = Progress(label, stream)
    try:
        yield shown
    finally:
        shown.close()
