"""Alert tasks: send one delivery (by id), pick up due ones, build the weekly digests."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from celery import shared_task
from celery.utils.log import get_task_logger

from core.store.alerts import due_deliveries
from core.store.locks import LockBusy, lease
from core.store.models import utcnow
from core.usecases.delivery import CLAIM_LEASE, deliver
from core.usecases.digest import build_digests
from core.wiring import channel_for, retry_policy, rules_for
from workers.celery_app import QUEUE_ALERTS
from workers.context import session_factory, settings_of, task_session

log = get_task_logger(__name__)
_channels: dict[int, Any] = {}


# Deliveries per message: a unit of work's alerts go out in one message, not one each (the
# embedded broker hands a worker about ten messages a second).
DELIVERIES_PER_MESSAGE = 50


def enqueue_deliveries(app: Any, ids: list[int], countdown: float | None = None) -> None:
    """Queue deliver_alerts tasks for the deliveries; a lost message is picked up by deliver_due."""
    for start in range(0, len(ids), DELIVERIES_PER_MESSAGE):
        chunk = ids[start : start + DELIVERIES_PER_MESSAGE]
        try:
            app.send_task(
                "pantau.deliver_alerts", args=[chunk], queue=QUEUE_ALERTS, countdown=countdown
            )
        except Exception:
            log.warning("could not enqueue deliveries %s; deliver_due will", chunk)


def _channel_for(app: Any) -> Any:
    # One set of channels (one SMTP config, HTTP sessions) per worker process.
    if id(app) not in _channels:
        _channels[id(app)] = channel_for(settings_of(app))
    return _channels[id(app)]


@shared_task(bind=True, name="pantau.deliver_alerts", max_retries=0, ignore_result=True)
def deliver_alerts(self, delivery_ids: list[int]) -> list[str]:
    """Send deliveries one after the other, each as deliver_alert does; their outcomes."""
    outcomes = []
    for delivery_id in delivery_ids:
        try:
            outcomes.append(_deliver(self.app, delivery_id))
        except Exception:
            # E.g. the database away past run_unit's waits: this delivery stays due (deliver_due
            # queues it again) and must not hold back the others of its message.
            log.exception("delivery %s: unexpected error", delivery_id)
            outcomes.append("error")
    return outcomes


@shared_task(bind=True, name="pantau.deliver_alert", max_retries=0, ignore_result=True)
def deliver_alert(self, delivery_id: int) -> str:
    """Send one alert or digest delivery (messages queued before deliver_alerts existed)."""
    return _deliver(self.app, delivery_id)


def _deliver(app: Any, delivery_id: int) -> str:
    """Send one delivery now; a retryable failure comes back after a backoff."""
    settings = settings_of(app)
    result = deliver(
        session_factory(settings),
        delivery_id,
        _channel_for(app),
        retry_policy(settings),
        settings.public_url,
    )
    if result.outcome == "retry":
        log.info(
            "delivery %s failed (%s); again in %.0f s", delivery_id, result.error, result.retry_in
        )
        enqueue_deliveries(app, [delivery_id], countdown=result.retry_in)
    elif result.outcome == "failed":
        log.warning("delivery %s failed for good: %s", delivery_id, result.error)
    return result.outcome


@shared_task(bind=True, name="pantau.deliver_due", max_retries=0, ignore_result=True)
def deliver_due(self) -> int:
    """Queue every delivery that is due (its task was lost, or a worker died mid-send)."""
    with task_session(self.app) as session:
        ids = due_deliveries(session, CLAIM_LEASE)
    enqueue_deliveries(self.app, ids)
    return len(ids)


@shared_task(bind=True, name="pantau.weekly_digest", max_retries=0, ignore_result=True)
def weekly_digest(self) -> int:
    """Build this week's digests once the configured weekday and hour have come (idempotent)."""
    settings = settings_of(self.app)
    rules = rules_for(settings)
    now = utcnow()
    due = (now.isoweekday(), now.hour) >= (
        rules.alerts.digest_weekday,
        rules.alerts.digest_hour_utc,
    )
    if not due:
        return 0
    try:
        with (
            lease(session_factory(settings), "weekly_digest", timedelta(minutes=10)),
            task_session(self.app) as session,
        ):
            ids = build_digests(session, rules, now)
    except LockBusy:
        return 0
    enqueue_deliveries(self.app, ids)
    return len(ids)
