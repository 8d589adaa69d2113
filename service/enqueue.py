"""The webhook's enqueue: stored ids go to the workers together, at most a few messages a second.

One broker message per delivery cost the webhook a second commit per request on the embedded
broker (its SQLite file). Instead each web process hands the ids it stored to one background
thread, which sends them as one `pantau.process_submissions` message at once when it was idle
and then at most once per `interval` while deliveries keep coming: an idle server still sends
a lone delivery within milliseconds, a busy one sends a few messages a second whatever the
rate. The answer never waits for the broker (a hung broker holds only this thread, within
its socket timeouts). A failed send is tried again a few times over some seconds; ids the
process could not send even so (a broker down for longer, a process killed first) are stored
as `received`, and `process_pending` (beat, every minute) picks them up.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("pantau.webhooks")

# At most this many ids per message: a worker processes them in short units of work anyway.
MAX_IDS = 500
# Kombu's own retries, for connection errors only: a hung broker costs at most three socket
# timeouts a try, in this thread only.
ENQUEUE_RETRY = {"max_retries": 2, "interval_start": 0.1, "interval_step": 0.4, "interval_max": 1}
# Our tries after a failed send, whatever the error: a Redis restart is over within seconds,
# and an error kombu does not retry may pass too. (The embedded broker's queue rows, which two
# processes once raced to create, are now made by make_celery before any send.)
PAUSES = (0.5, 1.0, 2.0)


class Coalescer:
    """Collects ids from request threads; one daemon thread per process sends them in batches."""

    def __init__(
        self,
        send: Callable[[list[int]], None],
        interval: float = 0.2,
        pauses: tuple[float, ...] = PAUSES,
    ) -> None:
        self._send = send
        self.interval = interval
        self.pauses = pauses
        self._cond = threading.Condition()
        self._ids: list[int] = []
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._closed = False
        self._stopping = threading.Event()  # set at exit: a pause between tries ends at once

    def add(self, submission_id: int) -> None:
        """Queue one stored id for the next message (sent at once when the sender is idle)."""
        with self._cond:
            self._ids.append(submission_id)
            if self._pid != os.getpid() or self._thread is None or not self._thread.is_alive():
                self._start()
            self._cond.notify()

    def _start(self) -> None:
        # Started on first use in each process: a thread of a parent does not survive a fork
        # (gunicorn forks its workers after loading the app).
        self._pid = os.getpid()
        self._closed = False
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="pantau-enqueue", daemon=True)
        self._thread.start()
        atexit.register(self.flush)

    def _take(self) -> list[int]:
        ids, self._ids = self._ids[:MAX_IDS], self._ids[MAX_IDS:]
        return ids

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._ids and not self._closed:
                    self._cond.wait()
                if self._closed:
                    return
                ids = self._take()
            self._deliver(ids)
            time.sleep(self.interval)  # the ids arriving meanwhile make the next message

    def _deliver(self, ids: list[int]) -> None:
        error = ""
        for pause in (*self.pauses, None):
            try:
                self._send(ids)
                return
            except Exception as exc:
                # The class only: a broker's message may quote the statement it failed on.
                error = exc.__class__.__name__
            if pause is None or self._stopping.wait(pause):  # at exit, no time to wait
                break
        log.warning(
            "could not enqueue %d stored submissions (%s…, %s); process_pending will",
            len(ids),
            ids[0],
            error,
        )

    def flush(self) -> None:
        """Send what is waiting now and stop the thread (at exit: gunicorn stops a worker)."""
        if self._pid != os.getpid():
            return
        self._stopping.set()
        with self._cond:
            self._closed = True
            self._cond.notify()
            batches = []
            while self._ids:
                batches.append(self._take())
        for ids in batches:
            self._deliver(ids)


def processing_enqueuer(celery: Any, interval: float = 0.2) -> Coalescer:
    """A Coalescer sending `pantau.process_submissions(ids)` on the intake queue of celery."""
    from workers.celery_app import QUEUE_INTAKE

    def send(ids: list[int]) -> None:
        celery.send_task(
            "pantau.process_submissions",
            args=[ids],
            queue=QUEUE_INTAKE,
            retry=True,
            retry_policy=ENQUEUE_RETRY,
        )

    return Coalescer(send, interval)
