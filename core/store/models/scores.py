"""Facts, IMP tiers, families and their risk assessments, domain events."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.store.db import Base
from core.store.models.base import BigId, Json, utcnow


class Fact(Base):
    """Typed answers of one submission, read through the form contract."""

    __tablename__ = "facts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), unique=True)
    form_id: Mapped[str] = mapped_column(String(60), index=True)
    desa_code: Mapped[str | None] = mapped_column(String(13), index=True)
    imp_code: Mapped[str | None] = mapped_column(String(40), index=True)
    period: Mapped[str | None] = mapped_column(String(7), index=True)  # YYYY-MM
    values: Mapped[dict[str, Any]] = mapped_column(Json)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TierAssessment(Base):
    """An IMP's tier for one period, with the per-role explanation and rules version."""

    __tablename__ = "tier_assessments"
    __table_args__ = (UniqueConstraint("imp_code", "period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    imp_code: Mapped[str] = mapped_column(String(40), index=True)
    period: Mapped[str] = mapped_column(String(7))  # 2026-10 or 2026-Q4
    tier: Mapped[str] = mapped_column(String(12))
    roles: Mapped[dict[str, Any]] = mapped_column(Json)
    explanation: Mapped[dict[str, Any]] = mapped_column(Json)
    rules_version: Mapped[str] = mapped_column(String(40))
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Family(Base):
    """A surveyed family, known only by the keyed hash of its KK number."""

    __tablename__ = "families"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    family_key: Mapped[str] = mapped_column(String(40), unique=True)
    desa_code: Mapped[str] = mapped_column(String(13), index=True)
    rw: Mapped[str | None] = mapped_column(String(5))
    rt: Mapped[str | None] = mapped_column(String(5))
    krs: Mapped[bool] = mapped_column(Boolean, default=False)
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class RiskAssessment(Base):
    """One survey of one family: each KRS factor, children's z-scores, pregnancy flags."""

    __tablename__ = "risk_assessments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id"), unique=True)
    surveyed_on: Mapped[date | None] = mapped_column(Date)
    target: Mapped[bool] = mapped_column(Boolean)
    krs: Mapped[bool] = mapped_column(Boolean)
    factors: Mapped[dict[str, Any]] = mapped_column(Json)
    details: Mapped[dict[str, Any]] = mapped_column(Json)
    rules_version: Mapped[str] = mapped_column(String(40))
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DomainEvent(Base):
    """Something alerting may act on: a tier change, a newly flagged KRS family…"""

    __tablename__ = "domain_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    desa_code: Mapped[str | None] = mapped_column(String(13), index=True)
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
