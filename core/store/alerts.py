"""Queries on recipients, alerts, digests and the deliveries outbox."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from core.domain.alerts import RecipientView
from core.store.db import transaction_memo
from core.store.models import Alert, AlertStatusChange, Delivery, Digest, Recipient, utcnow
from core.store.scores import in_wilayah

# -- recipients -------------------------------------------------------------------------------


def upsert_recipients(session: Session, rows: list[dict[str, str]]) -> dict[str, list[str]]:
    """Create or update recipients by name (reactivating them); names by created/updated/same."""
    existing = {r.name: r for r in session.scalars(select(Recipient))}
    outcome: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": []}
    for row in rows:
        values = {**row, "active": True}
        recipient = existing.get(row["name"])
        if recipient is None:
            session.add(Recipient(**values))
            outcome["created"].append(row["name"])
        elif any(getattr(recipient, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(recipient, k, v)
            outcome["updated"].append(row["name"])
        else:
            outcome["unchanged"].append(row["name"])
    session.flush()
    return outcome


def recipients(session: Session, *, active_only: bool = True) -> list[Recipient]:
    """Recipients by wilayah then name."""
    stmt = select(Recipient).order_by(Recipient.wilayah_code, Recipient.name)
    if active_only:
        stmt = stmt.where(Recipient.active.is_(True))
    return list(session.scalars(stmt))


def deactivate_recipient(session: Session, name: str) -> bool:
    """Stop sending to a recipient (its past deliveries stay); False if there is none active."""
    result = session.execute(
        update(Recipient)
        .where(Recipient.name == name, Recipient.active.is_(True))
        .values(active=False)
    )
    return result.rowcount == 1


def recipient_views(session: Session) -> list[RecipientView]:
    """What routing needs of every active recipient (read once per transaction)."""
    memo = transaction_memo(session, "pantau.recipient_views")
    if "views" not in memo:
        rows = session.execute(
            select(Recipient.id, Recipient.role, Recipient.wilayah_code).where(
                Recipient.active.is_(True)
            )
        )
        memo["views"] = [RecipientView(r.id, r.role, r.wilayah_code) for r in rows]
    return list(memo["views"])


# -- alerts -----------------------------------------------------------------------------------


def last_alert(session: Session, finding_key: str) -> Alert | None:
    """The most recent alert for a finding."""
    return session.scalar(
        select(Alert)
        .where(Alert.finding_key == finding_key)
        .order_by(Alert.created_at.desc(), Alert.id.desc())
        .limit(1)
    )


def open_alerts(
    session: Session, *, family_id: int | None = None, finding_key: str | None = None
) -> list[Alert]:
    """Open alerts of one family, or of one finding.

    Each on its index: a finding key by equality, never by prefix (a LIKE on a bound prefix
    uses no index on SQLite nor on PostgreSQL outside the C collation, and read every alert
    of the district for each re-scored IMP).
    """
    stmt = select(Alert).where(Alert.status == "open")
    if family_id is not None:
        stmt = stmt.where(Alert.family_id == family_id)
    if finding_key is not None:
        stmt = stmt.where(Alert.finding_key == finding_key)
    return list(session.scalars(stmt))


def add_deliveries(
    session: Session,
    alert_id: int | None,
    recipient_ids: Iterable[int],
    *,
    digest_id: int | None = None,
) -> list[int]:
    """Queue one delivery per recipient; return their ids."""
    rows = [
        Delivery(alert_id=alert_id, digest_id=digest_id, recipient_id=rid, next_attempt_at=utcnow())
        for rid in recipient_ids
    ]
    session.add_all(rows)
    session.flush()
    return [r.id for r in rows]


def list_alerts(
    session: Session,
    *,
    wilayah: str | None = None,
    status: str | None = None,
    referral: str | None = None,
    limit: int = 500,
) -> list[Alert]:
    """Alerts, newest first, filtered by wilayah prefix, status (open/closed) and referral."""
    stmt = select(Alert).order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit)
    if wilayah:
        stmt = stmt.where(in_wilayah(Alert.desa_code, wilayah))
    if status:
        stmt = stmt.where(Alert.status == status)
    if referral:
        stmt = stmt.where(Alert.referral == referral)
    return list(session.scalars(stmt))


def add_status_change(
    session: Session, alert: Alert, status: str, by: str, note: str | None
) -> None:
    """Set an alert's referral status and keep the change in its history."""
    now = utcnow()
    alert.referral, alert.referral_by, alert.referral_at = status, by, now
    session.add(AlertStatusChange(alert_id=alert.id, status=status, by=by, note=note, at=now))
    session.flush()


def status_history(session: Session, alert_id: int) -> list[AlertStatusChange]:
    """Every referral status an alert went through, oldest first."""
    return list(
        session.scalars(
            select(AlertStatusChange)
            .where(AlertStatusChange.alert_id == alert_id)
            .order_by(AlertStatusChange.at, AlertStatusChange.id)
        )
    )


def alerts_in(session: Session, wilayah: str, since: datetime | None = None) -> list[Alert]:
    """Alerts in a wilayah: those still open, plus any raised or closed since `since`."""
    recent = (
        or_(Alert.created_at >= since, Alert.closed_at >= since)
        if since is not None
        else Alert.id.is_(None)
    )
    stmt = select(Alert).where(
        in_wilayah(Alert.desa_code, wilayah), or_(Alert.status == "open", recent)
    )
    return list(session.scalars(stmt.order_by(Alert.desa_code, Alert.id)))


# -- digests ----------------------------------------------------------------------------------


def digest_for(session: Session, recipient_id: int, week: str) -> Digest | None:
    """The digest of one recipient for one ISO week."""
    return session.scalar(
        select(Digest).where(Digest.recipient_id == recipient_id, Digest.week == week)
    )


# -- the outbox -------------------------------------------------------------------------------


def claim_delivery(session: Session, delivery_id: int, lease: timedelta) -> bool:
    """Take a due delivery for sending; False if it is sent, failed, not due or being sent.

    A claim older than `lease` belongs to a worker that died mid-send: it may be taken over.
    """
    now = utcnow()
    due = (Delivery.status == "queued") & (Delivery.next_attempt_at <= now)
    stale = (Delivery.status == "sending") & (Delivery.claimed_at < now - lease)
    result = session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, due | stale)
        .values(status="sending", claimed_at=now, attempts=Delivery.attempts + 1)
    )
    return result.rowcount == 1


def due_deliveries(session: Session, lease: timedelta, limit: int = 200) -> list[int]:
    """Ids of deliveries due now (queued and due, or claimed by a worker that died)."""
    now = utcnow()
    due = (Delivery.status == "queued") & (Delivery.next_attempt_at <= now)
    stale = (Delivery.status == "sending") & (Delivery.claimed_at < now - lease)
    return list(
        session.scalars(select(Delivery.id).where(due | stale).order_by(Delivery.id).limit(limit))
    )


def delivery_counts(session: Session) -> dict[str, Any]:
    """Deliveries by status and channel (for the demo's summary and `alerts list`)."""
    rows = session.execute(
        select(Delivery.status, Recipient.channel, Recipient.address).join(
            Recipient, Recipient.id == Delivery.recipient_id
        )
    ).all()
    out: dict[str, Any] = {}
    for status, channel, address in rows:
        out.setdefault(status, {}).setdefault(f"{channel}:{address}", 0)
        out[status][f"{channel}:{address}"] += 1
    return out
