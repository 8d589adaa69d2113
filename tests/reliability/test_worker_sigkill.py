"""The intake worker SIGKILLed in the middle of a backfill pull: each record once, each alert once.

1,050 meeting reports (two pages of Kobo's data API) and 150 family surveys that each flag a
family at risk of stunting wait on the server, announced by no hook: only the beat's pull
brings them in. Every data call is slowed (3 s), so the kill can land while the meeting form's
pull is part-way: a chunk of a page stored, or the first page stored and the second awaited.
Then the intake worker's whole process group is SIGKILLed: the pull task, the processing in
flight and the messages its pool had taken from the (SQLite) broker die with it. A fresh
worker takes over. Nothing is driven by the test from there: the beat's next pull takes the
dead pull's lease and resumes from the cursor (a part-stored page comes back as duplicates),
and the beat's process_pending (every 10 s here, 60 s by default; rows stored over 30 s ago, at
most 500 a run) processes what was stored but never handed to processing. The alerts worker is a deployment unit of its own and is left
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


def _midway(st) -> dict[str, int] | None:
    """The progress once part of the meeting form is stored and not all is processed."""
    p = _progress(st)
    return p if 0 < p["meetings"] < MEETINGS and p["processed"] < TOTAL else None


def _task_total(log: str, task: str) -> int:
    """Sum of what a task returned in a worker's log (records stored, submissions processed)."""
    done = re.findall(rf"{re.escape(task)}\[[^\]]+\] succeeded in [\d.]+s: (\d+)", log)
    return sum(int(n) for n in done)


# SQLite, the embedded default (the pull's cursor moves with a page's last chunk). PostgreSQL
# (chunks stored side by side, the cursor after them) passes too; each costs a minute or more,
# much of it waiting for process_pending's 30 s.
@pytest.mark.parametrize("backend", ["sqlite"])
def test_worker_sigkilled_mid_backfill_pull__stored_processed_and_alerted_once(
    settings, session_factory, tmp_path, checked
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

        # Mid-way: part of the meeting form stored (its pull still running), and not
        # everything processed. Polled often: the window is a few seconds wide.
        at_kill = wait_for(
            busy_is_no(lambda: _midway(st)),
            timeout=120,
            interval=0.05,
            what=lambda: f"the backfill half way: {_progress(st)}\n{doomed.output()[-3000:]}",
        )
        doomed.kill_group()  # SIGKILL: no task finishes, no message is acknowledged
        killed_at = time.monotonic()
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
    assert stored["records"] == TOTAL and stored["submission_rows"] == TOTAL
    assert alerted["deliveries_sent"] == FAMILIES  # one e-mail per family at risk
    checked(
        **stored,
        **alerted,
        meetings_stored_at_sigkill=at_kill["meetings"],
        processed_at_sigkill=at_kill["processed"],
        meeting_cursor_at_sigkill=at_kill["cursor"],
        stored_by_next_pulls=_task_total(log, "pantau.pull_form"),
        processed_by_process_pending=_task_total(log, "pantau.process_pending"),
        sigkill_after_seconds=round(killed_at - began),
        recovered_in_seconds=round(recovered_in),
    )
