"""Run pantau subprocesses (worker, serve, demo) for tests and always stop them."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import PANTAU


class Proc:
    """A pantau subprocess in its own process group, output captured to a file."""

    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        self._fh = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(
            [PANTAU, *args],
            env=env,
            stdout=self._fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def output(self) -> str:
        """Everything the process printed so far."""
        return self.log.read_text(errors="replace")

    def signal(self, sig: int) -> None:
        """Send sig to the process itself."""
        self.popen.send_signal(sig)

    def kill_group(self) -> None:
        """SIGKILL the whole process group (the process and its pool children)."""
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.popen.wait()

    def stop(self, timeout: float = 20) -> int:
        """SIGTERM, wait, then SIGKILL the group; return the exit code."""
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill_group()
        self._fh.close()
        return self.popen.returncode


def wait_for(
    predicate: Callable[[], object],
    timeout: float = 30,
    interval: float = 0.2,
    what: str | Callable[[], str] = "condition",
) -> object:
    """Poll predicate until it returns something truthy; fail the test after timeout.

    `what` may be a callable: it is asked at the timeout, to say what the state was then.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    said = what() if callable(what) else what
    raise AssertionError(f"timed out after {timeout}s waiting for {said}")
