"""Celery tasks: thin adapters that take ids, call one use case, and commit.

Retries follow the one error root: a `PantauError` whose `.retryable` is true (a busy or absent
database, a collection server answering 429/5xx) is retried with backoff; any other is recorded
as a terminal failure. `process_pending` is the safety net for whatever still slips through.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from celery import shared_task
from celery.utils.log import get_task_logger

from core.domain.errors import PantauError
from core.domain.scoring import period_of
from core.store.heartbeat import beat
from core.store.locks import LockBusy, lease
from core.store.models import AuditLog, utcnow
from core.store.submissions import pending_ids, published_assets
from core.usecases.alerts import NEW_DELIVERIES
from core.usecases.processing import process_batch
from core.usecases.processing import process_submission as process_one
from core.usecases.pull import pull
from core.usecases.rescoring import score_imps
from core.usecases.sweep import sweep_kobo
from core.wiring import client_for, keyring_for, rules_for
from workers.alerts import (
    deliver_alert,
    deliver_alerts,
    deliver_due,
    enqueue_deliveries,
    weekly_digest,
)
from workers.celery_app import QUEUE_INTAKE, broker_file
from workers.context import session_factory, settings_of, task_session
from workers.maintenance import cleanup_consumed

log = get_task_logger(__name__)
T = TypeVar("T")
# Submissions per unit of work of process_submissions: a short transaction keeps SQLite's one
# write lock free for the webhook; a longer one would recompute fewer IMP tiers twice.
BATCH = 20
# A unit of work that took longer than this makes the next one smaller (_process_in_batches).
UNIT_SECONDS = 1.0
# Ids per message the pull and the sweep send: several workers share a backfill.
MESSAGE_IDS = 100


def _run(task: Any, work: Callable[[], T]) -> T:
    """Run work; retry what may succeed later, record what never will."""
    try:
        return work()
    except PantauError as exc:
        if exc.retryable:
            _retry(task, exc)
        _record_failure(task, exc)  # permanent: retrying cannot help
        raise


def _retry(task: Any, exc: PantauError) -> None:
    """Retry with exponential backoff, or record the terminal failure when retries run out."""
    if task.request.retries >= task.max_retries:
        _record_failure(task, exc)
        raise exc
    # Explicit countdown: retry_backoff only applies to autoretry_for, not to self.retry().
    countdown = min(300, 5 * 2**task.request.retries)
    raise task.retry(exc=exc, countdown=countdown)


def _record_failure(task: Any, exc: Exception) -> None:
    log.error("%s gave up after %d retries: %s", task.name, task.request.retries, exc)
    try:
        with task_session(task.app) as session:
            session.add(
                AuditLog(
                    actor="worker",
                    action="task.failed",
                    target=f"{task.name}{list(task.request.args or [])}",
                    detail={
                        "error": f"{exc.__class__.__name__}: {exc}"[:1000],
                        "retries": task.request.retries,
                    },
                )
            )
    except PantauError:
        log.error("could not record the failure of %s: database unavailable", task.name)


@shared_task(bind=True, name="pantau.heartbeat", max_retries=0, ignore_result=True)
def heartbeat(self, token: str = "") -> None:  # a probe label, not a secret  # nosec B107
    """Record that a worker is alive (and which process ran it, so tests can see it)."""
    with task_session(self.app) as session:
        beat(session, "worker", {"pid": os.getpid(), "host": socket.gethostname(), "token": token})


@shared_task(bind=True, name="pantau.broker_cleanup", max_retries=0, ignore_result=True)
def broker_cleanup(self) -> int:
    """Delete consumed messages from the embedded SQLite broker."""
    path = broker_file(settings_of(self.app))
    if path is None:
        return 0
    removed = cleanup_consumed(path, older_than=timedelta(minutes=5))
    log.info("broker cleanup removed %d consumed messages", removed)
    return removed


@shared_task(bind=True, name="pantau.process_submission", max_retries=5, ignore_result=True)
def process_submission(self, submission_id: int) -> str:
    """Turn one stored submission into facts and scores, exactly once."""
    rules = rules_for(settings_of(self.app))

    def work() -> str:
        with task_session(self.app) as session:
            outcome = process_one(session, submission_id, rules)
            deliveries = list(session.info.get(NEW_DELIVERIES, []))
        enqueue_deliveries(self.app, deliveries)  # committed: the outbox rows exist
        return outcome

    return _run(self, work)


def _process_in_batches(app: Any, ids: list[int], rules: Any, size: int) -> int:
    """Process ids in units of work of up to `size`; each unit's alerts are queued once committed.

    A unit that took longer than UNIT_SECONDS halves the next one; a quick one doubles it
    again. On SQLite a unit holds the one write lock the webhook waits for (5 s at most): 100
    family surveys with their alerts took 5 s and more, and deliveries were refused.
    """
    size = max(1, size)
    done, start, n = 0, 0, min(size, BATCH)  # grows to `size` while units stay quick
    while start < len(ids):
        unit = ids[start : start + n]
        began = time.monotonic()
        with task_session(app) as session:
            done += process_batch(session, unit, rules)
            deliveries = list(session.info.get(NEW_DELIVERIES, []))
        enqueue_deliveries(app, deliveries)
        start += len(unit)
        took = time.monotonic() - began
        if took > UNIT_SECONDS:
            n = max(1, n // 2)
        elif took < UNIT_SECONDS / 4:
            n = min(size, n * 2)
    return done


@shared_task(bind=True, name="pantau.process_submissions", max_retries=5, ignore_result=True)
def process_submissions(self, submission_ids: list[int]) -> int:
    """Process stored submissions (the webhook's and the pull's batches), each exactly once.

    Short units of work (BATCH ids each) keep SQLite's one write lock free for the webhook
    and bring each batch's alerts out early; a retry skips what was already processed.
    """
    rules = rules_for(settings_of(self.app))
    return _run(self, lambda: _process_in_batches(self.app, submission_ids, rules, BATCH))


@shared_task(bind=True, name="pantau.process_pending", max_retries=0, ignore_result=True)
def process_pending(self, limit: int = 500, older_than_seconds: int = 30) -> int:
    """Process stored submissions nobody processed (broker lost the message, worker killed)."""
    settings = settings_of(self.app)
    factory = session_factory(settings)
    rules = rules_for(settings)
    try:
        with lease(factory, "process_pending", timedelta(minutes=10)):
            # Rows younger than older_than_seconds probably have their own task in the queue.
            with factory() as session:
                ids = pending_ids(
                    session, older_than=timedelta(seconds=older_than_seconds), limit=limit
                )
            return _process_in_batches(self.app, ids, rules, 100)
    except LockBusy:
        return 0  # the previous run is still going


def _enqueue(app: Any, ids: list[int]) -> None:
    """Queue new ids for processing, MESSAGE_IDS to a message (workers share the messages)."""
    for start in range(0, len(ids), MESSAGE_IDS):
        app.send_task(
            "pantau.process_submissions",
            args=[ids[start : start + MESSAGE_IDS]],
            queue=QUEUE_INTAKE,
        )


@shared_task(bind=True, name="pantau.pull_form", max_retries=3, ignore_result=True)
def pull_form(self, server: str, asset_uid: str) -> int:
    """Pull one published form from its server (Kobo by `_id`, Central by updatedAt)."""
    settings = settings_of(self.app)

    def work() -> int:
        with client_for(settings, server) as client:
            options = _intake_options(self, settings)
            return pull(session_factory(settings), client, asset_uid, **options).created

    return _run_unless_running(self, work, f"pull of {asset_uid}")


@shared_task(bind=True, name="pantau.sweep_form", max_retries=3, ignore_result=True)
def sweep_form(self, asset_uid: str) -> int:
    """Find edits and deletions of one Kobo form that no webhook announces."""
    settings = settings_of(self.app)

    def work() -> int:
        with client_for(settings, "kobo") as client:
            options = _intake_options(self, settings)
            report = sweep_kobo(session_factory(settings), client, asset_uid, **options)
        return report.edits + report.deleted

    return _run_unless_running(self, work, f"sweep of {asset_uid}")


def _intake_options(task: Any, settings: Any) -> dict[str, Any]:
    """What a pull and a sweep of one form share: the keys, the rules, enqueueing the new."""
    return {
        "secret": keyring_for(settings),
        "rules": rules_for(settings),
        "on_new": lambda ids: _enqueue(task.app, ids),
    }


def _run_unless_running(task: Any, work: Callable[[], int], what: str) -> int:
    """_run, but a form whose pull or sweep is running already is skipped, quietly.

    LockBusy is retryable for a command; here the run that holds the lease does the work.
    """

    def or_skip() -> int:
        try:
            return work()
        except LockBusy:
            log.info("%s skipped: another is running", what)
            return 0

    return _run(task, or_skip)


def _configured(settings: Any, server: str) -> bool:
    return bool(settings.kobo_url) if server == "kobo" else bool(settings.central_url)


@shared_task(bind=True, name="pantau.pull_all", max_retries=0, ignore_result=True)
def pull_all(self) -> int:
    """Queue a pull of every published form on every configured server."""
    settings = settings_of(self.app)
    n = 0
    with task_session(self.app) as session:
        for server in ("kobo", "central"):
            if not _configured(settings, server):
                continue
            for asset in published_assets(session, server):
                pull_form.apply_async(args=[server, asset], queue=QUEUE_INTAKE)
                n += 1
    return n


@shared_task(bind=True, name="pantau.sweep_all", max_retries=0, ignore_result=True)
def sweep_all(self) -> int:
    """Queue a sweep of every published Kobo form."""
    settings = settings_of(self.app)
    if not settings.kobo_url:
        return 0
    with task_session(self.app) as session:
        assets = published_assets(session, "kobo")
    for asset in assets:
        sweep_form.apply_async(args=[asset], queue=QUEUE_INTAKE)
    return len(assets)


@shared_task(bind=True, name="pantau.score_current_period", max_retries=3, ignore_result=True)
def score_current_period(self) -> int:
    """Rescore every active IMP for the current period of the rubric's kind.

    The kind is month, quarter or semester. A new period starts with no submission in it, and
    an IMP that never reports is still rated (Dasar, "no report received").
    """
    rules = rules_for(settings_of(self.app))
    period = period_of(utcnow().date(), rules.imp.period_kind)

    def work() -> int:
        with task_session(self.app) as session:
            scored = len(score_imps(session, rules, period=period))
            deliveries = list(session.info.get(NEW_DELIVERIES, []))
        enqueue_deliveries(self.app, deliveries)
        return scored

    return _run(self, work)


__all__ = ["deliver_alert", "deliver_alerts", "deliver_due", "weekly_digest"]
