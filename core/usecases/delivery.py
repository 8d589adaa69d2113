"""Send one queued delivery, once: claim it, send it, record what happened.

Two short units of work, so no database transaction stays open while an SMTP server or a
gateway takes its time: the claim (only one worker may send a delivery) with the read of what
to send, and the outcome. A delivery that was sent is never claimed again; a retryable failure is
queued again with backoff and jitter; a permanent one, or the last attempt, is marked failed.
So is a delivery that can no longer be sent: its recipient was removed, or its stored alert
cannot be made into a message (retrying would only fail again, and hide it from the admins).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Literal

from sqlalchemy.orm import Session, sessionmaker

from core.clients.channels import Channel, ChannelError, Outgoing
from core.domain.alerts.retry import retry_delay
from core.domain.errors import PantauError
from core.domain.privacy import blank_numbers
from core.store import alerts as store
from core.store.db import run_unit, session_scope
from core.store.models import Alert, Delivery, Digest, Recipient, utcnow
from core.usecases.alerts import with_link

# A worker that died mid-send leaves its claim: after this long another may take it over.
CLAIM_LEASE = timedelta(minutes=5)

Outcome = Literal["sent", "retry", "failed", "skipped"]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a delivery is tried."""

    max_attempts: int = 8
    base_seconds: float = 30.0
    cap_seconds: float = 3600.0


@dataclass(frozen=True)
class Delivered:
    """What one attempt did; `retry_in` seconds when it is queued again."""

    outcome: Outcome
    retry_in: float | None = None
    error: str | None = None


ChannelFor = Callable[[str], Channel]


def deliver(
    factory: sessionmaker[Session],
    delivery_id: int,
    channel_for: ChannelFor,
    policy: RetryPolicy,
    public_url: str,
) -> Delivered:
    """Try to send one delivery now."""
    # One unit: a read that fails takes the claim back with it. (Each unit of work takes
    # SQLite's one write lock; the alerts of a busy district are thousands of deliveries.)
    claimed = run_unit(factory, lambda session: _claim(session, delivery_id, public_url))
    if claimed is None:
        return Delivered("skipped")
    if isinstance(claimed, str):
        return Delivered("failed", None, claimed)
    channel_name, message, attempts = claimed
    try:
        channel_for(channel_name).send(message)
    except ChannelError as exc:
        return _record_failure(factory, delivery_id, attempts, exc, policy)
    # Sent: from here a failure to record leaves the delivery "sending" until the claim lapses
    # (then it is sent a second time), so this waits out a busy or restarting database for
    # about a minute (waits of 0.5 s doubling to 32 s) instead of giving up after 7.5 s.
    run_unit(factory, partial(_mark_sent, delivery_id), attempts=MARK_SENT_ATTEMPTS)
    return Delivered("sent")


MARK_SENT_ATTEMPTS = 8

RECIPIENT_REMOVED = "recipient removed (pantau recipients remove) before it was sent"


class Unsendable(PantauError):
    """The stored alert or digest cannot be made into a message (a hand edit, an old bug)."""


def _claim(
    session: Session, delivery_id: int, public_url: str
) -> tuple[str, Outgoing, int] | str | None:
    """What to send; or why it never will be, the delivery then failed; or None: not due.

    The failure is recorded with the claim, in its unit of work: no other worker can have
    taken the delivery in between. Anything else that goes wrong (the database, a bug in
    this code) rolls the claim back and leaves the delivery due, as before.
    """
    if not store.claim_delivery(session, delivery_id, CLAIM_LEASE):
        return None
    row = session.get(Delivery, delivery_id)
    if not session.get(Recipient, row.recipient_id).active:
        row.status, row.last_error = "failed", RECIPIENT_REMOVED
        return RECIPIENT_REMOVED
    try:
        return _outgoing(session, row, public_url)
    except Unsendable as exc:
        row.status, row.last_error = "failed", blank_numbers(f"cannot build the message: {exc}")
        return row.last_error


def _mark_sent(delivery_id: int, session: Session) -> None:
    row = session.get(Delivery, delivery_id)
    row.status, row.sent_at, row.last_error = "sent", utcnow(), None


def _outgoing(session: Session, row: Delivery, public_url: str) -> tuple[str, Outgoing, int]:
    recipient = session.get(Recipient, row.recipient_id)
    lang = recipient.language if recipient.language in ("id", "en") else "id"
    if row.alert_id is not None:
        alert = session.get(Alert, row.alert_id)
        text = _texts(alert.payload, lang, f"alert {alert.id}")
        path = f"/alerts/{alert.id}"
        data = {"kind": alert.kind, "urgent": alert.urgent, "desa": alert.desa_code}
    else:
        digest = session.get(Digest, row.digest_id)
        text = _texts(digest.payload, lang, f"digest {digest.id}")
        path = f"/alerts?wilayah={recipient.wilayah_code}"
        data = {"kind": "digest", "week": digest.week, "wilayah": recipient.wilayah_code}
    message = Outgoing(
        address=recipient.address,
        subject=with_link(text["subject"], public_url, path),
        body=with_link(text["body"], public_url, path),
        message_id=f"delivery-{row.id}",
        data={**data, "link": f"{public_url.rstrip('/')}{path}"},
    )
    return recipient.channel, message, row.attempts


def _texts(payload: object, lang: str, what: str) -> dict[str, str]:
    """The stored subject and body in lang, or Unsendable naming what is missing."""
    messages = payload.get("messages") if isinstance(payload, dict) else None
    text = messages.get(lang) if isinstance(messages, dict) else None
    if not isinstance(text, dict):
        raise Unsendable(f"{what} has no stored text in language {lang!r}")
    for part in ("subject", "body"):
        if not isinstance(text.get(part), str):
            raise Unsendable(f"{what} has no stored {part} in language {lang!r}")
    return text


def _record_failure(
    factory: sessionmaker[Session],
    delivery_id: int,
    attempts: int,
    exc: ChannelError,
    policy: RetryPolicy,
) -> Delivered:
    error = f"{exc.__class__.__name__}: {exc}"[:1000]
    with session_scope(factory) as session:
        row = session.get(Delivery, delivery_id)
        row.last_error = error
        if exc.retryable and attempts < policy.max_attempts:
            wait = retry_delay(attempts, policy.base_seconds, policy.cap_seconds)
            row.status, row.next_attempt_at = "queued", utcnow() + timedelta(seconds=wait)
            return Delivered("retry", wait, error)
        row.status = "failed"
    return Delivered("failed", None, error)
