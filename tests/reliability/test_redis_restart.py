"""Redis (the broker) restarted, twice, with tasks in it: the beat's safety nets recover them.

Redis runs without persistence, as a cache-sized deployment often does: a restart loses every
queued message. First the processing tasks of 15 stored surveys are lost (and 10 more surveys
arrive while Redis is down, their tasks never sent); `process_pending` processes them. Then
the alert deliveries those surveys queued are lost, while a worker is connected (it must
reconnect by itself: 5 surveys after the restart are processed by it); `deliver_due` sends
them. Every survey ends stored once, processed once, and every alert mailed once.
"""

from __future__ import annotations

import re
import time

import pytest
import redis

from tests.reliability.checks import (
    alerted_once,
    latest,
    stored_and_processed_once,
    wait_deliveries_settled,
    wait_processed,
)
from tests.reliability.stack import run_ctl, running_stack
from tests.support.processes import wait_for
from tests.support.redis_queue import queued, queued_ids
from tests.support.submissions import family_answers
from workers.celery_app import QUEUE_ALERTS, QUEUE_INTAKE

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.slow,
    pytest.mark.redis,
    pytest.mark.exclusive,  # stops the Redis other tests share
]


def _given_up(st) -> int:
    """Ids the web could not send to the broker, left to process_pending (its log says so)."""
    text = (st.tmp / "web.log").read_text(errors="replace")
    return sum(int(n) for n in re.findall(r"could not enqueue (\d+) stored", text))


def _restart_redis() -> None:
    run_ctl("PANTAU_TEST_REDIS_CTL", "stop")
    run_ctl("PANTAU_TEST_REDIS_CTL", "start")


class Phones:
    """Kader submitting family surveys, each with a stunted child (so each raises alerts)."""

    def __init__(self, st) -> None:
        self.st, self.n = st, 0

    def submit(self, count: int) -> None:
        for _ in range(count):
            xml, _ = self.st.family.instance(
                family_answers(no_kk=f"3277010101{400000 + self.n:06d}")
            )
            assert self.st.sandbox.submit(xml).status_code == 201
            self.n += 1
        deliveries = self.st.sandbox.wait_hooks_idle(timeout=120)
        assert all(lg["status"] == 2 for lg in deliveries["logs"]), deliveries["logs"]


def _processed(factory) -> int:
    return sum(1 for r in latest(factory) if r.status == "processed")


@pytest.mark.parametrize("backend", ["postgresql"])
def test_redis_restarted__lost_tasks_are_recovered_and_everything_happens_once(
    settings, session_factory, tmp_path, redis_url, checked
):
    client = redis.Redis.from_url(redis_url)
    with running_stack(settings, session_factory, tmp_path, smtp=True, broker_url=redis_url) as st:
        st.hook(st.family)
        phones = Phones(st)
        first = st.start_worker("worker-1")
        phones.submit(10)  # all healthy
        wait_processed(st.factory, 10)
        wait_for(lambda: len(st.sink.received) == 10, timeout=120, what="10 mails")

        first.stop()
        phones.submit(15)  # stored; their tasks wait in Redis for a worker
        # (each is sent once the webhook's answer is out: wait for the last of them)
        wait_for(
            lambda: len(queued_ids(client, QUEUE_INTAKE)) == 15, timeout=30, what="15 ids queued"
        )
        lost_processing = len(queued_ids(client, QUEUE_INTAKE))
        run_ctl("PANTAU_TEST_REDIS_CTL", "stop")
        phones.submit(10)  # Redis down: stored (202), the task cannot be sent
        # The web tries again for some seconds (service/enqueue.py), then leaves them.
        wait_for(lambda: _given_up(st) == 10, timeout=120, what="the web giving up 10 ids")
        run_ctl("PANTAU_TEST_REDIS_CTL", "start")
        assert queued(client, QUEUE_INTAKE) == 0  # the 15 tasks are gone
        assert _processed(st.factory) == 10

        # A worker without the alerts queue, so the deliveries it queues stay in Redis.
        st.start_worker("worker-2", queues="intake,scoring,maintenance")
        st.send_task("pantau.process_pending", QUEUE_INTAKE, limit=1000, older_than_seconds=0)
        wait_processed(st.factory, 35)
        wait_for(
            lambda: len(queued_ids(client, QUEUE_ALERTS)) == 25, timeout=60, what="25 deliveries"
        )
        lost_deliveries = len(queued_ids(client, QUEUE_ALERTS))
        _restart_redis()  # worker-2 stays connected through it
        assert queued(client, QUEUE_ALERTS) == 0
        phones.submit(5)  # processed by worker-2 once it has reconnected by itself
        wait_processed(st.factory, 40, timeout=180)
        assert len(st.sink.received) == 10

        st.start_worker("worker-3")  # all queues: the 5 newest deliveries' tasks, then the rest
        st.send_task("pantau.deliver_due", QUEUE_ALERTS)
        wait_for(lambda: len(st.sink.received) >= 40, timeout=180, what="40 mails")
        st.catch_up()  # another beat round: nothing more may be sent
        wait_deliveries_settled(st.factory)
        time.sleep(5)  # the round's tasks run (nothing here waits for them): nothing may arrive
        stored = stored_and_processed_once(st)
        alerted = alerted_once(st.factory, st.sink)
    client.close()
    assert stored["records"] == 40 and alerted["deliveries_sent"] == 40
    checked(
        **stored,
        **alerted,
        processing_tasks_lost=lost_processing,
        stored_while_redis_down=10,
        delivery_tasks_lost=lost_deliveries,
    )
