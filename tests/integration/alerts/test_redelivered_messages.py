"""A processing message delivered twice (a broker's redelivery) processes and alerts once.

Redis redelivers a message whose worker died before acknowledging it (visibility timeout),
and the beat's process_pending may name a submission its own message is about to process.
The claim, not the broker, is what makes processing happen once: these tests run the same
message again, in both task shapes, and count what was made.
"""

from __future__ import annotations

from sqlalchemy import func, select

from core.store.models import Alert, Delivery, Fact, Submission
from tests.integration.alerts.helpers import post_surveys
from workers.celery_app import make_celery

FAMILIES = ("3277010101200021", "3277010101200022")


def _stored(alert_settings, kobo_sandbox, session_factory) -> list[int]:
    """Two surveys of Melong's families at risk, stored by the webhook and not yet processed."""
    post_surveys(alert_settings, kobo_sandbox, session_factory, FAMILIES)
    with session_factory() as s:
        return list(s.scalars(select(Submission.id).order_by(Submission.id)))


def _made(session_factory) -> dict[str, object]:
    with session_factory() as s:
        count = lambda model: s.scalar(select(func.count()).select_from(model))  # noqa: E731
        return {
            "process_counts": sorted(s.scalars(select(Submission.process_count))),
            "facts": count(Fact),
            "alerts": count(Alert),
            "deliveries": count(Delivery),
        }


def test_process_submissions__the_same_message_twice_processes_and_alerts_once(
    alert_settings, recipients, kobo_sandbox, session_factory
):
    ids = _stored(alert_settings, kobo_sandbox, session_factory)
    task = make_celery(alert_settings).tasks["pantau.process_submissions"]
    assert task.apply(args=[ids]).get() == len(FAMILIES)
    first = _made(session_factory)
    assert first["process_counts"] == [1, 1] and first["alerts"] and first["deliveries"] == 2

    assert task.apply(args=[ids]).get() == 0  # redelivered: nothing left to claim
    assert _made(session_factory) == first


def test_process_submission__a_single_id_message_after_its_batch_does_nothing(
    alert_settings, recipients, kobo_sandbox, session_factory
):
    ids = _stored(alert_settings, kobo_sandbox, session_factory)
    tasks = make_celery(alert_settings).tasks
    tasks["pantau.process_submissions"].apply(args=[ids]).get()
    first = _made(session_factory)
    outcomes = [tasks["pantau.process_submission"].apply(args=[i]).get() for i in ids]
    assert outcomes == ["skipped"] * len(ids)
    assert _made(session_factory) == first
