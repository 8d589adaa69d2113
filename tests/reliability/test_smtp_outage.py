"""The SMTP server down "for minutes", then up but failing, then healthy: each alert once.

Time is compressed: the outbox retries from `PANTAU_ALERT_RETRY_BASE` 1 s (30 s in
production) capped at 8 s (an hour), so the ~20 s the server stays away are several retry
cycles, as ten minutes would be with the production settings. A real beat runs beside the
worker and queues `deliver_due` every 2 s, so most retries meet a second task for the same
delivery: only the claim keeps it to one send.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from core.store.models import Delivery
from tests.reliability.checks import (
    alerted_once,
    stored_and_processed_once,
    wait_deliveries_settled,
    wait_processed,
)
from tests.reliability.stack import running_stack
from tests.support.processes import wait_for
from tests.support.submissions import family_answers

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

FAMILIES = 20


def _min_failed(factory) -> int:
    """The fewest finished failed tries of any delivery.

    A claim counts its try before it sends, so a delivery still "sending" has one try whose
    answer is not in yet: counting it would let the next phase's server answer it.
    """
    with factory() as s:
        rows = list(s.execute(select(Delivery.attempts, Delivery.status)))
    if len(rows) < FAMILIES:
        return 0
    return min(n - (status == "sending") for n, status in rows)


def _answered_451_twice(sink) -> int:
    """How many messages (by Message-ID: one per delivery) the server has answered 451 twice."""
    counts = list(sink.handler.tempfailed_ids.values())  # a copy: the server's thread adds keys
    return sum(1 for n in counts if n >= 2)


def _queued(factory) -> int:
    with factory() as s:
        q = select(func.count()).select_from(Delivery).where(Delivery.status != "sent")
        return s.scalar(q)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_smtp_down_for_minutes__every_due_alert_arrives_exactly_once(
    settings, session_factory, tmp_path, checked
):
    with running_stack(
        settings,
        session_factory,
        tmp_path,
        smtp=True,
        alert_retry_base=1.0,
        alert_retry_max=8.0,
        alert_max_attempts=14,
        alert_sweep_interval=2,
    ) as st:
        sink = st.sink
        sink.stop()  # down: connections refused
        st.hook(st.family)
        st.start_worker()
        st.start_beat()
        down_at = time.monotonic()
        for i in range(FAMILIES):
            xml, _ = st.family.instance(family_answers(no_kk=f"3277010101{300000 + i:06d}"))
            assert st.sandbox.submit(xml).status_code == 201
        st.sandbox.wait_hooks_idle(timeout=120)
        wait_processed(st.factory, FAMILIES)

        # Refused connections until every delivery has failed three times...
        wait_for(lambda: _min_failed(st.factory) >= 3, timeout=120, what="three failed tries")
        refused_for = time.monotonic() - down_at
        # ... then up, but answering 451 to every message, for two more tries of each (counted
        # by the server: a try in flight at the switch may have been refused instead).
        sink.handler.tempfail = True
        sink.start()
        wait_for(lambda: _answered_451_twice(sink) == FAMILIES, timeout=120, what="two 451 each")
        assert not sink.received
        sink.handler.tempfail = False
        down_for = time.monotonic() - down_at

        wait_for(lambda: _queued(st.factory) == 0, timeout=180, interval=1, what="all sent")
        wait_deliveries_settled(st.factory)
        time.sleep(5)  # two more deliver_due rounds: nothing more may arrive
        stored = stored_and_processed_once(st)
        alerted = alerted_once(st.factory, sink)
    assert alerted["deliveries_sent"] == FAMILIES  # one message per family visit
    assert alerted["send_attempts"] >= 6 * FAMILIES  # 3 refused, 2 answered 451, 1 sent
    checked(
        **stored,
        **alerted,
        smtp_refused_seconds=round(refused_for),
        smtp_unavailable_seconds=round(down_for),
        answered_451=sink.handler.tempfailed,
    )
