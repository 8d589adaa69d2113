"""A progress bar for the demo's long steps: redrawn in place on a terminal, plain lines elsewhere.

A file or a pipe never gets a carriage return: it gets one line when the counts change and at
most one every `every` seconds, so a log stays readable.
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import TextIO

WIDTH = 24


class Progress:
    """Counts of done/total, with the rate and the time left, for one step."""

    def __init__(
        self, total: int, label: str, stream: TextIO | None = None, every: float = 10.0
    ) -> None:
        self.total = max(total, 1)
        self.label = label
        self.stream = stream or sys.stdout
        self.tty = self.stream.isatty()
        self.every = every
        self.started = time.monotonic()
        self._last_line = 0.0
        self._last_text = ""

    def update(self, done: int, detail: str = "") -> None:
        """Show done of total (and detail: other counts) now, or soon on a non-terminal."""
        elapsed = time.monotonic() - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        left = (self.total - done) / rate if rate > 0 and done < self.total else 0.0
        pct = min(done / self.total, 1.0)
        tail = f"{detail} · {rate:.0f}/s" + (f" · ~{_clock(left)}" if left else "")
        if self.tty:
            bar = "█" * round(pct * WIDTH) + "░" * (WIDTH - round(pct * WIDTH))
            text = f"  {self.label} [{bar}] {pct:4.0%} {tail}"
            cols = shutil.get_terminal_size((100, 20)).columns
            self.stream.write("\r" + text[: cols - 1].ljust(min(len(self._last_text), cols - 1)))
            self._last_text = text
            self.stream.flush()
            return
        now = time.monotonic()
        if done >= self.total or now - self._last_line >= self.every or not self._last_line:
            text = f"  {self.label} {pct:4.0%} {tail}"
            if text != self._last_text:
                self.stream.write(text + "\n")
                self.stream.flush()
                self._last_text, self._last_line = text, now

    def close(self) -> None:
        """End the bar's line (on a terminal) before anything else is printed."""
        if self.tty and self._last_text:
            self.stream.write("\n")
            self.stream.flush()
            self._last_text = ""


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds + 0.5), 60)
    return f"{m}:{s:02d}"
