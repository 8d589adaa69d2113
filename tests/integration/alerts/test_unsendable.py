"""Deliveries that can no longer be sent are failed with their reason, not retried for ever."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text, update

from core.store.models import Alert, Delivery
from tests.integration.alerts.conftest import cli
from tests.integration.alerts.helpers import deliver_all, post_surveys, process
from workers.celery_app import make_celery

FAMILIES = ("3277010101200012", "3277010101200013")


@pytest.fixture
def surveyed(alert_settings, recipients, kobo_sandbox, session_factory):
    """Two families of Melong surveyed and processed: one delivery each to its TPPS."""
    post_surveys(alert_settings, kobo_sandbox, session_factory, FAMILIES)
    process(alert_settings)
    with session_factory() as s:
        ids = list(s.scalars(select(Delivery.id).order_by(Delivery.id)))
    assert len(ids) == len(FAMILIES)
    return ids


def _rows(session_factory) -> list[Delivery]:
    with session_factory() as s:
        return list(s.scalars(select(Delivery).order_by(Delivery.id)))


def test_delivery__to_a_recipient_removed_meanwhile_is_failed_and_not_sent(
    alert_settings, surveyed, smtp_sink, session_factory
):
    # The TPPS member left before the worker got to the queued alerts (or while SMTP was
    # down and they waited for a retry): "remove" means nothing more goes to that address.
    cli(alert_settings, "recipients", "remove", "TPPS Melong")
    assert deliver_all(alert_settings, session_factory) == ["failed", "failed"]
    assert smtp_sink.received == []
    for row in _rows(session_factory):
        assert row.status == "failed" and "recipient removed" in row.last_error
    assert deliver_all(alert_settings, session_factory) == []  # nothing left queued


def test_deliver_alerts__an_alert_that_cannot_be_rendered_fails_alone(
    alert_settings, surveyed, smtp_sink, session_factory
):
    # The first family's stored alert texts are damaged (a hand edit, a bug in an old
    # version). Its delivery must not hold back the other one in the same task message, nor
    # stay queued for every deliver_due sweep to pick up again.
    with session_factory() as s:
        broken = s.get(Delivery, surveyed[0]).alert_id
        s.execute(update(Alert).where(Alert.id == broken).values(payload={"messages": {}}))
        s.commit()
    task = make_celery(alert_settings).tasks["pantau.deliver_alerts"]
    assert task.apply(args=[surveyed]).get() == ["failed", "sent"]
    first, second = _rows(session_factory)
    assert first.status == "failed"
    assert first.last_error == (
        f"cannot build the message: alert {broken} has no stored text in language 'id'"
    )
    assert second.status == "sent"
    (mail,) = smtp_sink.received
    assert mail.rcpt_tos == ["tpps.melong@example.go.id"]
    # Failed is final: the same message again (a redelivery) sends nothing more.
    assert task.apply(args=[surveyed]).get() == ["skipped", "skipped"]
    assert len(smtp_sink.received) == 1


def test_deliver_alerts__a_database_error_after_the_claim_leaves_the_delivery_due(
    alert_settings, surveyed, smtp_sink, session_factory, monkeypatch
):
    # Only Unsendable fails a delivery for good. Here the claim's UPDATE succeeds and the read
    # after it fails (the alerts table is away: a failover, a botched migration): the whole
    # unit rolls back, so the delivery is queued as before, not stuck "sending" for the lease.
    monkeypatch.setattr("core.store.db.time.sleep", lambda seconds: None)  # run_unit's waits
    with session_factory() as s:
        before = s.get(Delivery, surveyed[0])
        attempts = before.attempts
        s.execute(text("ALTER TABLE alerts RENAME TO alerts_away"))
        s.commit()
    task = make_celery(alert_settings).tasks["pantau.deliver_alerts"]
    try:
        assert task.apply(args=[surveyed[:1]]).get() == ["error"]
    finally:
        with session_factory() as s:
            s.execute(text("ALTER TABLE alerts_away RENAME TO alerts"))
            s.commit()
    first = _rows(session_factory)[0]
    assert (first.status, first.attempts, first.claimed_at) == ("queued", attempts, None)
    assert smtp_sink.received == []
    # The database is back: the next sweep's message sends it, once.
    assert task.apply(args=[surveyed]).get() == ["sent", "sent"]
    assert len(smtp_sink.received) == 2
