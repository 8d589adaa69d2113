"""Alert recipients, alerts with their referral status, digests, and deliveries (the outbox)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.store.db import Base
from core.store.models.base import BigId, Json, utcnow


class Recipient(Base):
    """Someone who receives alerts for a wilayah (a TPPS member, a PKB/PLKB), on one channel."""

    __tablename__ = "recipients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    role: Mapped[str] = mapped_column(String(30))  # tpps | pkb
    wilayah_code: Mapped[str] = mapped_column(String(13), index=True)
    channel: Mapped[str] = mapped_column(String(20), default="email")
    address: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(5), default="id")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Alert(Base):
    """One finding announced: a child below -2 SD, a pregnancy at risk, a tier that dropped.

    `finding_key` names the finding (kind and subject); the same finding does not alert again
    while an alert for it is open or was raised within the dedupe window.
    """

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_finding", "finding_key", "created_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    finding_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), index=True)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    desa_code: Mapped[str] = mapped_column(String(13), index=True)
    rw: Mapped[str | None] = mapped_column(String(5))
    rt: Mapped[str | None] = mapped_column(String(5))
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id"), index=True)
    imp_code: Mapped[str | None] = mapped_column(String(40))
    submission_id: Mapped[int | None] = mapped_column(BigId)
    text_id: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="open")  # open | closed
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_reason: Mapped[str | None] = mapped_column(Text)
    # Referral: dirujuk (referred), diterima (received), ditindaklanjuti (followed up).
    referral: Mapped[str | None] = mapped_column(String(20))
    referral_by: Mapped[str | None] = mapped_column(String(120))
    referral_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AlertStatusChange(Base):
    """Who set which referral status of an alert, and when (the history the alert keeps)."""

    __tablename__ = "alert_status_changes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    by: Mapped[str] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Digest(Base):
    """One weekly summary for one recipient (its wilayah's open and new findings)."""

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("recipient_id", "week"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipients.id"), index=True)
    week: Mapped[str] = mapped_column(String(10))  # ISO week, e.g. 2026-W49
    text_id: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Delivery(Base):
    """One alert or digest sent (or being sent) to one recipient: the outbox row.

    queued -> sending (claimed by one worker) -> sent | queued again (retryable failure, at
    `next_attempt_at`) | failed (permanent failure, attempts exhausted, recipient removed, or
    an alert that cannot be made into a message).
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("alert_id", "recipient_id"),
        UniqueConstraint("digest_id", "recipient_id"),
        Index("ix_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), index=True)
    digest_id: Mapped[int | None] = mapped_column(ForeignKey("digests.id"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipients.id"))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
