"""Kobo's data API answering 429, 500 and too slowly while the beat's pulls run.

1,160 records wait on the server (two pages), none announced by a hook, so only the pull can
bring them in. The sandbox answers a share of data calls with 429 (Retry-After 1), 500, or
after 4 s (our client gives up after 2 s: a read timeout). The client retries 429 and
timeouts itself; a 500 (or retries running out) fails the pull task, which records it, and the
next pull, 2 s later, resumes from the cursor committed with each stored chunk. Afterwards
every record is stored once, processed once, and each family's alert mailed once.
"""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import func, select

from core.store.models import AuditLog
from tests.reliability.backlog import families, meetings
from tests.reliability.checks import (
    alerted_once,
    latest,
    stored_and_processed_once,
    wait_deliveries_settled,
    wait_processed,
)
from tests.reliability.stack import running_stack

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

MEETINGS, FAMILIES = 1120, 40
FAULTS = (
    "data:429:rate=0.2:seed=1:retry_after=1;"
    "data:500:rate=0.15:seed=2;"
    "data:slow:rate=0.15:seed=3:seconds=4"
)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_kobo_429_500_and_timeouts_during_pulls__every_record_once(
    settings, session_factory, tmp_path, checked
):
    with running_stack(
        settings,
        session_factory,
        tmp_path,
        smtp=True,
        web=False,
        pull_interval=2,
        http_timeout=2.0,
    ) as st:
        st.sandbox.seed(st.meeting.asset_uid, records=meetings(MEETINGS, imps=40))
        st.sandbox.seed(st.family.asset_uid, records=families(FAMILIES, first=600000))
        st.sandbox.faults(FAULTS)
        st.start_worker()
        st.start_beat()
        wait_processed(st.factory, MEETINGS + FAMILIES, timeout=600)
        rules = requests.get(st.sandbox.url("/__sandbox__/faults"), timeout=10).json()["rules"]
        requests.delete(st.sandbox.url("/__sandbox__/faults"), timeout=10)
        st.catch_up()
        wait_deliveries_settled(st.factory, timeout=300)
        stored = stored_and_processed_once(st)
        alerted = alerted_once(st.factory, st.sink)
        with st.factory() as s:
            failed_pulls = s.scalar(
                select(func.count())
                .select_from(AuditLog)
                .where(AuditLog.action == "task.failed", AuditLog.target.like("pantau.pull_form%"))
            )
        sources = {r.source for r in latest(st.factory)}
    fired = {f"{r['action']}": r["fired"] for r in rules}
    assert fired["429"] and fired["500"] and fired["slow"], fired
    assert failed_pulls > 0 and sources == {"pull"}
    assert stored["records"] == MEETINGS + FAMILIES and alerted["deliveries_sent"] == FAMILIES
    checked(
        **stored,
        **alerted,
        kobo_answered_429=fired["429"],
        kobo_answered_500=fired["500"],
        kobo_too_slow=fired["slow"],
        pull_tasks_failed=failed_pulls,
    )
