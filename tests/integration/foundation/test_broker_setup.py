"""The embedded broker's first use: processes starting together on a new file all get to send.

Kombu creates its tables and a queue's row when a process first needs them, by looking and
then creating; two processes doing it at once made one fail ("table kombu_queue already
exists", or an IntegrityError on the queue's name) and its message was not sent.
"""

import multiprocessing
import os
import sqlite3
from contextlib import closing
from pathlib import Path

from tests.conftest import make_settings
from workers.celery_app import QUEUE_MAINTENANCE, QUEUES, broker_file, make_celery

PROCESSES, TRIALS = 4, 8


def _names(path) -> set[str]:
    with closing(sqlite3.connect(path)) as conn:  # closed: see _open_here
        return {name for (name,) in conn.execute("SELECT name FROM kombu_queue")}


def _open_here(path) -> list[str]:
    """This process's open descriptors on the file (and its -wal, -shm)."""
    fds = Path("/proc/self/fd")
    return [t for fd in os.listdir(fds) if (t := _target(fds / fd)).startswith(str(path))]


def _target(link: Path) -> str:
    try:
        return os.readlink(link)
    except OSError:  # the descriptor listing the folder itself is gone by now
        return ""


def test_make_celery__a_new_broker_file_has_every_queue_before_anything_is_sent(tmp_path):
    settings = make_settings(tmp_path)
    make_celery(settings)
    assert _names(broker_file(settings)) == set(QUEUES)
    # Nothing of it stays open: `pantau worker` forks its pool right after, and a child must
    # not share the parent's SQLite connection.
    assert _open_here(broker_file(settings)) == []
    make_celery(settings)  # again: nothing to create
    assert _names(broker_file(settings)) == set(QUEUES)


def _send_first(settings, barrier) -> None:
    barrier.wait(timeout=30)  # all at once, on a file none of them has used yet
    make_celery(settings).send_task("pantau.heartbeat", args=["x"], queue=QUEUE_MAINTENANCE)


def test_processes_sending_first_on_a_new_broker_file_all_send(tmp_path):
    make_celery(make_settings(tmp_path / "warm"))  # imports done once, before the forks
    fork = multiprocessing.get_context("fork")
    for trial in range(TRIALS):
        settings = make_settings(tmp_path / str(trial))
        barrier = fork.Barrier(PROCESSES)
        procs = [
            fork.Process(target=_send_first, args=(settings, barrier), daemon=True)
            for _ in range(PROCESSES)
        ]
        try:
            for proc in procs:
                proc.start()
            for proc in procs:
                proc.join(60)
        finally:
            for proc in procs:
                if proc.is_alive():
                    proc.kill()
        assert [p.exitcode for p in procs] == [0] * PROCESSES, f"trial {trial}"
        with closing(sqlite3.connect(broker_file(settings))) as conn:
            assert conn.execute("SELECT count(*) FROM kombu_message").fetchone()[0] == PROCESSES
        assert _names(broker_file(settings)) == set(QUEUES)
