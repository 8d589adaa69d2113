"""The intake worker SIGKILLed in the middle of a backfill pull: each record once, each alert once.

1,050 meeting reports (two pages of Kobo's data API) and 150 family surveys that each flag a
family at risk of stunting wait on the server, announced by no hook: only the beat's pull
brings them in. Every data call is slowed (3 s), so the kill can land while the meeting form's
pull is part-way. One test kills at the first part-way state it sees: usually a chunk of the
first page stored with the cursor not yet moved (a window of a chunk's storing, which a loaded
machine can miss), else the first page stored and the second awaited. The other waits for
that second state: the first page stored, the cursor after it (seconds wide). Then the intake worker's whole process group is SIGKILLed: the pull task, the processing in
flight and the messages its pool had taken from the (SQLite) broker die with it. A fresh
worker takes over. Nothing is driven by the test from there: the beat's next pull takes the
dead pull's lease and resumes from the cursor (a part-stored page comes back as duplicates),
and the beat's process_pending (every 10 s here, 60 s by default; rows stored over 30 s ago, at
most 500 a run) processes what was stored but never handed to processing. The sandbox's page
log shows that resuming: no page of the meeting form asked for after the kill starts before
the cursor committed by then, so a stored page is never downloaded again. The alerts worker is a deployment unit of its own and is left
running: a kill mid-SMTP-send is another scenario (the claim lapses after 5 minutes).
"""

from __future__ import annotations

import re
import time

import pytest
import requests
from sqlalchemy import func, select

from core.store.models import PullCursor, Submission
from tests.reliability.backlog import families, meetings
from tests.reliability.checks import (
    alerted_once,
    busy_is_no,
    stored_and_processed_once,
    wait_deliveries_settled,
    wait_processed,
)
from tests.reliability.stack import running_stack
from tests.support.processes import wait_for

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

MEETINGS, FAMILIES = 1050, 150  # the meeting form: a full page of 1,000, then 50 more
PAGE = 1000  # the pull's page size, kpi's largest
TOTAL = MEETINGS + FAMILIES
# Every data call answers after 3 s (within our 30 s client timeout): a window of seconds
# between the first page stored and the second, for the kill to land in.
SLOW = "data:slow:rate=1:seed=1:seconds=3"
# process_pending leaves rows younger than 30 s to their own messages and takes 500 a run:
# the recovery takes a few of its 10 s rounds (a 60 s interval made it 1-2 minutes).
RECOVERY_TIMEOUT = 240
INTAKE_QUEUES = "intake,scoring,maintenance"


def _progress(st) -> dict[str, int]:
    """Meeting reports stored, submissions processed, and the meeting form's pull cursor."""
    with st.factory() as s:
        rows = select(func.count()).select_from(Submission)
        meetings = s.scalar(rows.where(Submission.asset_uid == st.meeting.asset_uid))
        processed = s.scalar(rows.where(Submission.status == "processed"))
        cursor = s.scalar(
            select(PullCursor.last_record_id).where(PullCursor.asset_uid == st.meeting.asset_uid)
        )
    return {"meetings": meetings, "processed": processed, "cursor": cursor or 0}


def _midway(st, kill_at: str) -> dict[str, int] | None:
    """The progress once the meeting form's pull is at the kill point, else None.

    `first_seen`: part of the meeting form stored, whichever part (a page's cursor moves with
    its last chunk: mid-page, it is still 0). `between_pages`: the first page stored, the
    cursor after it, the second page not stored.
    """
    p = _progress(st)
    if p["processed"] >= TOTAL:
        return None
    if kill_at == "first_seen":
        return p if 0 < p["meetings"] < MEETINGS else None
    return p if p["meetings"] == PAGE and p["cursor"] > 0 else None


def _pull_pages(st, served_before: int) -> list[dict]:
    """The pull's pages of the meeting form served since the kill (served_before of them)."""
    pages = st.sandbox.data_pages(st.meeting.asset_uid)[served_before:]
    # The pull asks `_id` > N only. (A sweep's manifest asks `_id` > 0 too, but it runs hourly:
    # none in this test's minutes, so every keyset page here is the pull's.)
    return [p for p in pages if p["after"] is not None]


def _task_total(log: str, task: str) -> int:
    """Sum of what a task returned in a worker's log (records stored, submissions processed)."""
    done = re.findall(rf"{re.escape(task)}\[[^\]]+\] succeeded in [\d.]+s: (\d+)", log)
    return sum(int(n) for n in done)


# SQLite, the embedded default (the pull's cursor moves with a page's last chunk). PostgreSQL
# (chunks stored side by side, the cursor after them) passes too; each costs a minute or more,
# much of it waiting for process_pending's 30 s.
@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize("kill_at", ["first_seen", "between_pages"])
def test_worker_sigkilled_mid_backfill_pull__stored_processed_and_alerted_once(
    settings, session_factory, tmp_path, checked, kill_at
):
    with running_stack(
        settings,
        session_factory,
        tmp_path,
        smtp=True,  # also imports the desa TPPS as the alerts' recipient
        web=False,
        pull_interval=2,
        process_pending_interval=10,
        alert_sweep_interval=2,
    ) as st:
        st.sandbox.seed(st.meeting.asset_uid, records=meetings(MEETINGS, imps=50))
        st.sandbox.seed(st.family.asset_uid, records=families(FAMILIES, first=700000))
        st.sandbox.faults(SLOW)
        st.start_worker("alerts", queues="alerts", concurrency=1)
        doomed = st.start_worker("intake-1", queues=INTAKE_QUEUES)
        st.start_beat()
        began = time.monotonic()

        # At the kill point, and not everything processed. Polled often: the window
        # between two chunks is short, the one between two pages a few seconds.
        at_kill = wait_for(
            busy_is_no(lambda: _midway(st, kill_at)),
            timeout=120,
            interval=0.02,
            what=lambda: f"the backfill at {kill_at}: {_progress(st)}\n{doomed.output()[-3000:]}",
        )
        doomed.kill_group()  # SIGKILL: no task finishes, no message is acknowledged
        killed_at = time.monotonic()
        # The dead worker's last request may still be answered (3 s): pages from this one on
        # are the fresh worker's, or that one's (asked after the same committed cursor).
        served_before = len(st.sandbox.data_pages(st.meeting.asset_uid))
        requests.delete(st.sandbox.url("/__sandbox__/faults"), timeout=10)

        fresh = st.start_worker("intake-2", queues=INTAKE_QUEUES)
        try:
            wait_processed(st.factory, TOTAL, timeout=RECOVERY_TIMEOUT)
        except AssertionError:
            stored_and_processed_once(st)  # names what is missing, extra or unprocessed
            raise
        recovered_in = time.monotonic() - killed_at
        wait_deliveries_settled(st.factory, timeout=120)
        time.sleep(5)  # two more deliver_due rounds: nothing more may arrive
        stored = stored_and_processed_once(st)
        alerted = alerted_once(st.factory, st.sink)
        log = fresh.output()
        resumed = _pull_pages(st, served_before)
    assert stored["records"] == TOTAL and stored["submission_rows"] == TOTAL
    assert alerted["deliveries_sent"] == FAMILIES  # one e-mail per family at risk
    # Resumed from the cursor: no page after the kill asked for records before it.
    assert resumed, "no page of the meeting form was served after the kill"
    assert min(p["after"] for p in resumed) >= at_kill["cursor"], resumed
    if kill_at == "between_pages":
        assert at_kill["cursor"] > 0
        assert all(p["first_id"] is None or p["first_id"] > at_kill["cursor"] for p in resumed)
    checked(
        **stored,
        **alerted,
        meetings_stored_at_sigkill=at_kill["meetings"],
        processed_at_sigkill=at_kill["processed"],
        meeting_cursor_at_sigkill=at_kill["cursor"],
        meeting_pages_after_sigkill=len(resumed),
        first_page_after_sigkill_asked_after=resumed[0]["after"],
        stored_by_next_pulls=_task_total(log, "pantau.pull_form"),
        processed_by_process_pending=_task_total(log, "pantau.process_pending"),
        sigkill_after_seconds=round(killed_at - began),
        recovered_in_seconds=round(recovered_in),
    )
