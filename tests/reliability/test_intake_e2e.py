"""Intake end to end under failures: sandbox Kobo → our gunicorn webhook → real workers.

Part of the reliability suite (`make test-reliability`): duplicated, dropped and edited
deliveries, a database that goes away during deliveries, a worker SIGKILLed while it processes
a webhook backlog (SIGKILLed mid-pull: test_worker_sigkill.py).
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import threading
import time
from collections import Counter
from datetime import date, timedelta

import pytest
import requests
from sqlalchemy import func, select

from core.store.models import Submission
from tests.conftest import PANTAU, pantau_env
from tests.reliability.checks import manifest as _manifest
from tests.reliability.stack import running_stack
from tests.support.processes import wait_for
from tests.support.submissions import add_hook, family_answers, meeting_answers

pytestmark = [pytest.mark.reliability, pytest.mark.slow]


@pytest.fixture
def stack(settings, session_factory, tmp_path, request):
    """Sandbox (compressed Kobo retries), our web (gunicorn) and its settings; worker on demand."""
    retry_scale = getattr(request, "param", 0.001)
    with running_stack(settings, session_factory, tmp_path, retry_scale=retry_scale) as st:
        yield st


def _cli(settings, *args, timeout=600):
    proc = subprocess.run(
        [PANTAU, *args], env=pantau_env(settings), capture_output=True, text=True, timeout=timeout
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


def _state(stack) -> str:
    """What is stored and how far processing got, with the worker's complaints: a timeout's story."""
    rows = _latest(stack.factory)
    statuses = Counter(r.status for r in rows)
    errors = Counter(r.error for r in rows if r.error)
    stuck = sorted(r.id for r in rows if r.status != "processed")[:20]
    complaints = [
        line
        for proc in stack.procs
        for line in proc.output().splitlines()
        if "ERROR" in line or "WARNING" in line or "Traceback" in line
    ]
    return (
        f"{len(rows)} latest rows, statuses {dict(statuses)}, errors {dict(errors)}, "
        f"first unprocessed ids {stuck}\n" + "\n".join(complaints[-40:])
    )


def _latest(factory):
    with factory() as s:
        return list(s.scalars(select(Submission).where(Submission.is_latest.is_(True))))


def test_thousand_submissions_with_duplicates_drops_and_edits_end_exactly_once(stack, checked):
    sb = stack.sandbox
    # Two hooks to the same webhook, each delivery dropped with p=0.45: ~30% of submissions
    # are delivered twice, ~20% never (only the pull can find those).
    add_hook(sb, stack.meeting.asset_uid, stack.url + "/webhooks/kobo", "Pantau")
    add_hook(sb, stack.meeting.asset_uid, stack.url + "/webhooks/kobo", "Pantau (copy)")
    add_hook(sb, stack.family.asset_uid, stack.url + "/webhooks/kobo", "Pantau")
    add_hook(sb, stack.family.asset_uid, stack.url + "/webhooks/kobo", "Pantau (copy)")
    sb.faults("hooks:drop:rate=0.45:seed=11")
    stack.start_worker()

    rng = random.Random(5)
    meeting_xform, family_xform = stack.meeting, stack.family
    submitted: list[tuple[object, str, dict]] = []
    stop_pulling = threading.Event()
    pull_errors: list[str] = []

    def pull_loop():
        # A pull runs concurrently with the deliveries, as the beat schedule would have it.
        while not stop_pulling.is_set():
            proc = subprocess.run(
                [PANTAU, "pull"],
                env=pantau_env(stack.settings),
                capture_output=True,
                text=True,
                timeout=600,
            )
            if proc.returncode != 0 and "already running" not in proc.stderr:
                pull_errors.append(proc.stderr)
            time.sleep(0.5)

    puller = threading.Thread(target=pull_loop, daemon=True)
    puller.start()
    for i in range(1000):
        if i % 5 == 4:
            form, answers = (
                family_xform,
                family_answers(
                    no_kk=f"32770101{i:08d}", survey=date(2026, 10, 1) + timedelta(days=i % 28)
                ),
            )
        else:
            form, answers = (
                meeting_xform,
                meeting_answers(
                    imp=f"PPKBD-{i % 40:03d}",
                    day=date(2026, 10, 1) + timedelta(days=i % 28),
                    women=rng.randint(3, 30),
                ),
            )
        xml, iid = form.instance(answers)
        assert sb.submit(xml).status_code == 201
        submitted.append((form, iid, answers))
    # 5% edited on the server, the way a phone edits: no hook fires for these.
    for form, iid, answers in rng.sample(submitted, 50):
        changed = dict(answers)
        key = "pertemuan/hadir_laki" if form is meeting_xform else "keluarga/rt"
        changed[key] = "7" if form is meeting_xform else "009"
        xml, _ = form.instance(changed, deprecated_id=iid)
        assert sb.submit(xml).status_code == 201
    deliveries = sb.wait_hooks_idle(timeout=300)
    stop_pulling.set()
    puller.join(timeout=600)
    assert not pull_errors, pull_errors

    _cli(stack.settings, "pull")
    _cli(stack.settings, "sweep")

    server = {
        **_manifest(sb, stack.meeting.asset_uid),
        **{("f", k): v for k, v in _manifest(sb, stack.family.asset_uid).items()},
    }
    assert len(server) == 1000

    def all_processed():
        rows = _latest(stack.factory)
        return len(rows) == 1000 and all(r.status == "processed" for r in rows)

    wait_for(
        all_processed,
        timeout=300,
        interval=1,
        what=lambda: "every record processed\n" + _state(stack),
    )
    rows = _latest(stack.factory)
    held = {
        (
            r.record_id if r.asset_uid == stack.meeting.asset_uid else ("f", r.record_id)
        ): r.instance_id
        for r in rows
    }
    assert held == server  # exactly the sandbox's latest version of each record
    assert all(r.process_count == 1 for r in rows)  # each processed once
    # The 50 edits are what we hold (an original that no hook delivered and that the pull
    # only ever saw edited was never stored, so "superseded" rows can be fewer than 50).
    assert sum(1 for r in rows if r.deprecated_id) == 50
    # The scenario did what it claims: duplicates and drops happened.
    outcomes = [a.get("outcome") for a in deliveries["attempts"]]
    assert outcomes.count("dropped") > 100
    sources = Counter(r.source for r in rows)
    assert sources["webhook"] and sources["pull"]
    checked(
        records=len(server),
        stored_once=len(held),
        processed_once=sum(1 for r in rows if r.process_count == 1),
        edits=50,
        hook_posts=sum(1 for o in outcomes if o != "dropped"),
        hook_drops=outcomes.count("dropped"),
        stored_by_webhook=sources["webhook"],
        stored_by_pull_or_sweep=len(rows) - sources["webhook"],
    )


@pytest.mark.parametrize(
    "backend",
    # On PostgreSQL it stops the server other tests share; on SQLite it locks its own file.
    ["sqlite", pytest.param("postgresql", marks=pytest.mark.exclusive)],
)
@pytest.mark.parametrize("stack", [0.2], indirect=True)
def test_database_unavailable_during_deliveries_loses_nothing(stack, backend, checked):
    sb = stack.sandbox
    add_hook(sb, stack.meeting.asset_uid, stack.url + "/webhooks/kobo")
    release = _make_database_unavailable(stack, backend)
    try:
        for i in range(6):
            xml, _ = stack.meeting.instance(meeting_answers(day=date(2026, 10, 1 + i)))
            assert sb.submit(xml).status_code == 201
        # Wait until Kobo has been told 503 at least once for every delivery so far.
        wait_for(
            lambda: sum(1 for a in sb.deliveries()["attempts"] if a.get("status_code") == 503) >= 6,
            timeout=120,
            what="503 answers while the database is away",
        )
    finally:
        release()
    deliveries = sb.wait_hooks_idle(timeout=240)
    assert all(lg["status"] == 2 for lg in deliveries["logs"]), deliveries["logs"]  # all succeeded
    codes = {a.get("status_code") for a in deliveries["attempts"]}
    assert 503 in codes and 202 in codes and 500 not in codes
    assert len(_latest(stack.factory)) == 6
    checked(
        backend=backend,
        deliveries=6,
        answered_503=sum(1 for a in deliveries["attempts"] if a.get("status_code") == 503),
        stored_once=6,
    )


def _make_database_unavailable(stack, backend):
    if backend == "postgresql":
        ctl = os.environ["PANTAU_TEST_PG_CTL"].split()
        subprocess.run([*ctl, "-m", "fast", "stop"], check=True, capture_output=True)

        def release():
            subprocess.run(
                [*ctl, "-w", "-l", "/dev/null", "start"], check=True, capture_output=True
            )

        return release
    # SQLite: another process holds the write lock longer than the webhook will wait for it.
    path = stack.settings.database_url.removeprefix("sqlite:///")
    conn = sqlite3.connect(path, timeout=1, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")

    def release():
        conn.execute("ROLLBACK")
        conn.close()

    return release


def test_worker_sigkilled_mid_processing_of_a_webhook_backlog__each_processed_once(stack, checked):
    sb = stack.sandbox
    answers = {**meeting_answers(), "__version__": stack.meeting.version_uid}
    sb.seed(stack.meeting.asset_uid, count=600, answers=answers)
    records = []
    start = 0
    while True:
        page = sb.api(
            "GET",
            f"/api/v2/assets/{stack.meeting.asset_uid}/data/",
            params={"limit": 1000, "start": start},
        ).json()
        records += page["results"]
        if not page["next"]:
            break
        start += 1000
    session = requests.Session()
    session.headers["X-Pantau-Token"] = "hook-token"
    for n, rec in enumerate(records):
        rec["wilayah/imp"] = f"PPKBD-{n % 60:03d}"  # sixty IMPs, ten meetings each
        assert session.post(stack.url + "/webhooks/kobo", json=rec, timeout=30).status_code == 202

    worker = stack.start_worker("worker-1")

    def processed():
        with stack.factory() as s:
            return s.scalar(
                select(func.count()).select_from(Submission).where(Submission.status == "processed")
            )

    wait_for(lambda: processed() >= 60, timeout=120, what=f"backfill under way\n{worker.output()}")
    worker.kill_group()  # SIGKILL, mid-processing
    before_kill = processed()
    assert before_kill < 600

    stack.start_worker("worker-2")
    from workers.celery_app import QUEUE_INTAKE, make_celery

    make_celery(stack.settings).send_task(
        "pantau.process_pending",
        kwargs={"limit": 1000, "older_than_seconds": 0},
        queue=QUEUE_INTAKE,
    )
    wait_for(lambda: processed() == 600, timeout=240, interval=1, what="every submission processed")
    rows = _latest(stack.factory)
    assert len(rows) == 600 and all(r.process_count == 1 for r in rows)
    checked(records=600, processed_before_sigkill=before_kill, processed_once=len(rows))
