"""The webhook's sender thread (service/enqueue.py): ids reach the broker once, late at worst."""

from __future__ import annotations

import logging
import threading

from service.enqueue import Coalescer
from tests.support.processes import wait_for


class FlakyBroker:
    """Refuses the first `failures` sends the way kombu's SQLite transport does, then takes them."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.tries = 0
        self.messages: list[list[int]] = []
        self.lock = threading.Lock()

    def send(self, ids: list[int]) -> None:
        with self.lock:
            self.tries += 1
            if self.tries <= self.failures:
                raise RuntimeError("UNIQUE constraint failed: kombu_queue.name [('intake',)]")
            self.messages.append(list(ids))

    def sent(self) -> list[int]:
        with self.lock:
            return [i for message in self.messages for i in message]


def test_a_refused_send_is_tried_again_and_every_id_arrives_once():
    broker = FlakyBroker(failures=2)
    coalescer = Coalescer(broker.send, interval=0.01, pauses=(0.01, 0.01, 0.01))
    for i in range(1, 6):
        coalescer.add(i)
    wait_for(lambda: sorted(broker.sent()) == [1, 2, 3, 4, 5], timeout=10, what="ids sent")
    coalescer.add(6)
    wait_for(lambda: 6 in broker.sent(), timeout=10, what="a later id sent")
    coalescer.flush()
    assert sorted(broker.sent()) == [1, 2, 3, 4, 5, 6]  # none twice
    assert broker.tries == len(broker.messages) + 2


def test_a_broker_down_for_longer_leaves_the_ids_to_process_pending_and_says_why(caplog):
    broker = FlakyBroker(failures=10**6)
    coalescer = Coalescer(broker.send, interval=0.01, pauses=(0.01, 0.01))
    with caplog.at_level(logging.WARNING, logger="pantau.webhooks"):
        coalescer.add(41)
        wait_for(lambda: "could not enqueue" in caplog.text, timeout=10, what="the warning")
    coalescer.flush()
    assert broker.tries >= 3  # the first send and one after each pause
    assert broker.sent() == []
    assert "could not enqueue 1 stored submissions (41…, RuntimeError)" in caplog.text
    assert "kombu_queue" not in caplog.text  # a broker's message may quote its statement


def test_at_exit_a_failed_send_is_not_waited_for(caplog):
    broker = FlakyBroker(failures=10**6)
    coalescer = Coalescer(broker.send, interval=60, pauses=(30.0,))
    with caplog.at_level(logging.WARNING, logger="pantau.webhooks"):
        coalescer.add(1)
        wait_for(lambda: broker.tries >= 1, timeout=10, what="a first try")
        coalescer.add(2)  # waits in the coalescer while the thread pauses
        coalescer.flush()  # gunicorn is stopping this worker: no 30 s pauses now
        # The paused thread gives its ids up at once too (no second try after 30 s).
        wait_for(lambda: caplog.text.count("could not enqueue") == 2, timeout=10, what="both")
    assert broker.tries == 2
