"""The embedded broker's first use: processes starting together on a new file all get to send.

Kombu creates its tables and a queue's row when a process first needs them, by looking and
then creating; two processes doing it at once made one fail ("table kombu_queue already
exists", or an IntegrityError on the queue's name) and its message was not sent.
"""

import multiprocessing
import sqlite3

from tests.conftest import make_settings
from workers.celery_app import QUEUE_MAINTENANCE, QUEUES, broker_file, make_celery

PROCESSES, TRIALS = 4, 4


def _names(path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {name for (name,) in conn.execute("SELECT name FROM kombu_queue")}


def test_make_celery__a_new_broker_file_has_every_queue_before_anything_is_sent(tmp_path):
    settings = make_settings(tmp_path)
    make_celery(settings)
    assert _names(broker_file(settings)) == set(QUEUES)
    make_celery(settings)  # again: nothing to create
    assert _names(broker_file(settings)) == set(QUEUES)


def _send_first(settings, barrier) -> None:
    barrier.wait()  # all at once, on a file none of them has used yet
    make_celery(settings).send_task("pantau.heartbeat", args=["x"], queue=QUEUE_MAINTENANCE)


def test_processes_sending_first_on_a_new_broker_file_all_send(tmp_path):
    make_celery(make_settings(tmp_path / "warm"))  # imports done once, before the forks
    fork = multiprocessing.get_context("fork")
    for trial in range(TRIALS):
        settings = make_settings(tmp_path / str(trial))
        barrier = fork.Barrier(PROCESSES)
        procs = [
            fork.Process(target=_send_first, args=(settings, barrier)) for _ in range(PROCESSES)
        ]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(60)
        assert [p.exitcode for p in procs] == [0] * PROCESSES, f"trial {trial}"
        with sqlite3.connect(broker_file(settings)) as conn:
            assert conn.execute("SELECT count(*) FROM kombu_message").fetchone()[0] == PROCESSES
        assert _names(broker_file(settings)) == set(QUEUES)
