"""How `pantau demo` reports its steps: numbered lines, a failure naming its step, Ctrl-C."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import click


class DemoFailed(Exception):
    """A demo step failed; the message says why, `step` which step it was."""

    def __init__(self, reason: str, step: str | None = None) -> None:
        super().__init__(reason)
        self.step = step


class Interrupted(Exception):
    """Ctrl-C (SIGINT) or SIGTERM asked the demo to stop."""


class Steps:
    """Numbered progress lines; an error inside a step names the step and where the logs are."""

    def __init__(self, total: int, log_dir: Path) -> None:
        self.total = total
        self.log_dir = log_dir
        self.n = 0
        # Set by the signal handler. Work stops at the next check, never in the middle of a
        # publish (ODK Validate's Java and its watchdog thread must finish or be cleaned up).
        self.stopping = False

    def check(self) -> None:
        """Raise Interrupted if a stop was asked for."""
        if self.stopping:
            raise Interrupted

    @contextlib.contextmanager
    def step(self, title: str) -> Iterator[None]:
        """Print `[n/total] title`; turn a failure into DemoFailed naming this step."""
        self.check()
        self.n += 1
        here = f"{self.n}/{self.total} ({title})"
        click.echo(f"[{self.n}/{self.total}] {title}")
        try:
            yield
        except Interrupted:
            raise
        except Exception as exc:
            if self.stopping:
                # Ctrl-C in a terminal also reaches our own subprocesses (Java): not a failure.
                raise Interrupted from exc
            if isinstance(exc, DemoFailed):
                exc.step = exc.step or here
                raise
            raise DemoFailed(f"{type(exc).__name__}: {exc}", step=here) from exc
