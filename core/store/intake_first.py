"""On SQLite, webhook deliveries take the one write lock before background work does.

Every write to a SQLite file waits for its one write lock. A webhook delivery holds it for a
few milliseconds; a worker's unit of work for up to a second. With two worker processes
committing unit after unit, the lock could pass from one to the other for seconds while a
delivery waited, and a delivery that waits 5 s answers 503 (Kobo retries it only later).
Here a web process holds a shared `flock` on `<database>-intake` while any of its
deliveries wants the database, and a background connection, before it asks for the lock,
waits until nobody holds that file: at most `BACKGROUND_WAIT`, so a steady stream of
deliveries cannot stop processing, only slow it. A delivery thus waits for at most the one
unit of work that was running when it came.

PostgreSQL has row locks and no such queue: there this is a no-op.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

# How long a background connection lets deliveries go first before it asks for the lock.
BACKGROUND_WAIT = 1.0
_POLL = 0.001


class IntakeGate:
    """The `<database>-intake` file of one SQLite database, as one process uses it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._mutex = threading.Lock()
        self._fd = -1
        self._pid = 0
        self._wanting = 0  # this process's deliveries that want the database now

    def _descriptor(self) -> int:
        # Opened per process: a descriptor inherited through a fork shares its lock with the
        # parent's, so a child must not count on it.
        if self._pid != os.getpid():
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid, self._wanting = os.getpid(), 0
        return self._fd

    @contextlib.contextmanager
    def delivery(self) -> Iterator[None]:
        """While inside, background connections of every process wait (see BACKGROUND_WAIT)."""
        with self._mutex:
            fd = self._descriptor()
            if self._wanting == 0:
                fcntl.flock(fd, fcntl.LOCK_SH)
            self._wanting += 1
        try:
            yield
        finally:
            with self._mutex:
                self._wanting -= 1
                if self._wanting == 0:
                    fcntl.flock(fd, fcntl.LOCK_UN)

    def let_deliveries_pass(self, limit: float | None = None) -> float:
        """Wait until no delivery wants the database, or `limit` seconds; the seconds waited."""
        limit = BACKGROUND_WAIT if limit is None else limit
        with self._mutex:
            fd = self._descriptor()
        began = time.monotonic()
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() - began >= limit:
                    return time.monotonic() - began
                time.sleep(_POLL)
                continue
            fcntl.flock(fd, fcntl.LOCK_UN)
            return time.monotonic() - began


_gates: dict[Path, IntakeGate] = {}
_gates_mutex = threading.Lock()


def gate_of(database: Path) -> IntakeGate:
    """The gate of a SQLite database file (one object per process and file)."""
    with _gates_mutex:
        if database not in _gates:
            _gates[database] = IntakeGate(database.with_name(database.name + "-intake"))
        return _gates[database]
