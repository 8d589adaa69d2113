"""PostgreSQL restarted in the middle of intake: nothing lost, nothing twice.

Phones keep submitting while the database is stopped (`pg_ctl -m fast`: open transactions are
cut off) for ~8 s and started again. Meanwhile the webhook answers 503, Kobo retries a 503
up to four times (its waits compressed 100x, so some deliveries run out of tries while the
database is away) and the worker's tasks fail and retry. Afterwards the pull stores what
Kobo gave up on, the beat's safety nets run, and every submission is stored once, processed
once, and every alert mailed once.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import date, timedelta

import pytest

from tests.reliability.checks import (
    alerted_once,
    stored_and_processed_once,
    wait_deliveries_settled,
    wait_processed,
)
from tests.reliability.stack import run_ctl, running_stack
from tests.support.processes import wait_for
from tests.support.submissions import family_answers, meeting_answers

pytestmark = [
    pytest.mark.reliability,
    pytest.mark.slow,
    pytest.mark.postgres,
    pytest.mark.exclusive,  # stops the PostgreSQL other tests share
]

SUBMISSIONS = 200  # every fifth a family survey with a stunted child (alerts)
DOWN_SECONDS = 8


def _submit_all(st, progress: list[int], errors: list[str]) -> None:
    try:
        for i in range(SUBMISSIONS):
            day = date(2026, 10, 1) + timedelta(days=i % 28)
            if i % 5 == 4:
                form, answers = st.family, family_answers(f"3277010101{500000 + i:06d}", survey=day)
            else:
                form, answers = st.meeting, meeting_answers(imp=f"PPKBD-{i % 20:03d}", day=day)
            xml, _ = form.instance(answers)
            resp = st.sandbox.submit(xml)
            if resp.status_code != 201:
                errors.append(f"{resp.status_code} {resp.text[:200]}")
            progress.append(i)
            time.sleep(0.05)
    except Exception as exc:  # reported by the test, not lost in the thread
        errors.append(repr(exc))


@pytest.mark.parametrize("backend", ["postgresql"])
def test_postgres_restarted_during_intake__stored_processed_and_alerted_once(
    settings, session_factory, tmp_path, checked
):
    with running_stack(settings, session_factory, tmp_path, retry_scale=0.01, smtp=True) as st:
        st.hook(st.meeting)
        st.hook(st.family)
        st.start_worker()
        progress: list[int] = []
        errors: list[str] = []
        phones = threading.Thread(target=_submit_all, args=(st, progress, errors), daemon=True)
        phones.start()
        wait_for(lambda: len(progress) >= 50, timeout=120, what="50 submissions")
        run_ctl("PANTAU_TEST_PG_CTL", "-m", "fast", "stop")
        stopped_at = len(progress)
        try:
            time.sleep(DOWN_SECONDS)
        finally:
            run_ctl("PANTAU_TEST_PG_CTL", "-w", "-l", "/dev/null", "start")
        started_at = len(progress)
        phones.join(timeout=300)
        assert not errors, errors[:5]
        hooks = st.sandbox.wait_hooks_idle(timeout=300)

        codes = Counter(a.get("status_code") for a in hooks["attempts"])
        assert codes[503] > 0 and 500 not in codes, codes
        given_up = sum(1 for lg in hooks["logs"] if lg["status"] != 2)
        st.cli("pull")  # what Kobo gave up on
        st.catch_up()  # the beat's process_pending and deliver_due
        wait_processed(st.factory, SUBMISSIONS, timeout=300)
        st.send_task("pantau.deliver_due", "alerts")
        wait_deliveries_settled(st.factory, timeout=300)
        stored = stored_and_processed_once(st)
        alerted = alerted_once(st.factory, st.sink)
    assert stored["records"] == SUBMISSIONS
    assert alerted["deliveries_sent"] == SUBMISSIONS // 5
    checked(
        **stored,
        **alerted,
        submitted_while_down=started_at - stopped_at,
        webhook_answered_503=codes[503],
        webhook_answered_202=codes[202],
        deliveries_kobo_gave_up=given_up,
    )
