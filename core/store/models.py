"""The domain's tables, as SQLAlchemy 2.x typed models; portable across SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.store.db import Base

# JSONB on PostgreSQL (indexable, compact), plain JSON text on SQLite.
Json = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments INTEGER PRIMARY KEY; BigInteger elsewhere for large tables.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    """Aware UTC now; every timestamp Pantau stores is UTC."""
    return datetime.now(UTC)


class Wilayah(Base):
    """A Kemendagri region: provinsi, kabupaten/kota, kecamatan or desa/kelurahan."""

    __tablename__ = "wilayah"

    code: Mapped[str] = mapped_column(String(13), primary_key=True)  # dotted: 32.77.01.1001
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[int] = mapped_column(Integer)  # 1 provinsi .. 4 desa/kelurahan
    kind: Mapped[str] = mapped_column(String(20))  # provinsi, kabupaten, kota, kecamatan, desa...
    parent_code: Mapped[str | None] = mapped_column(String(13), index=True)


class Institution(Base):
    """An IMP: PPKBD (desa), Sub-PPKBD (RW) or Kelompok KB (RT), with its parent IMP."""

    __tablename__ = "institutions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # ppkbd, sub_ppkbd, kelompok_kb
    desa_code: Mapped[str] = mapped_column(ForeignKey("wilayah.code"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    rw: Mapped[str | None] = mapped_column(String(5))
    rt: Mapped[str | None] = mapped_column(String(5))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    parent: Mapped[Institution | None] = relationship(remote_side=[id])


class FormVersion(Base):
    """One build of one XLSForm: our version stamp, hashes and the contract it satisfies."""

    __tablename__ = "form_versions"
    __table_args__ = (UniqueConstraint("form_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[str] = mapped_column(String(60), index=True)
    version: Mapped[str] = mapped_column(String(20))  # e.g. 2026112301
    xform_sha256: Mapped[str] = mapped_column(String(64), index=True)
    xlsform_sha256: Mapped[str] = mapped_column(String(64))
    contract: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    built_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    built_by: Mapped[str] = mapped_column(String(80), default="")


class Publication(Base):
    """A form version sent to a server, with the server's own version id and answer."""

    __tablename__ = "publications"

    id: Mapped[int] = mapped_column(primary_key=True)
    form_version_id: Mapped[int] = mapped_column(ForeignKey("form_versions.id"), index=True)
    server: Mapped[str] = mapped_column(String(10))  # kobo | central
    server_url: Mapped[str] = mapped_column(String(300), default="")
    server_form_id: Mapped[str] = mapped_column(String(80), index=True)  # Kobo asset uid
    server_version_id: Mapped[str | None] = mapped_column(String(80), index=True)  # Kobo v…
    status: Mapped[str] = mapped_column(String(20), default="published")
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    published_by: Mapped[str] = mapped_column(String(80), default="")
    forced_reason: Mapped[str | None] = mapped_column(Text)
    response: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)

    form_version: Mapped[FormVersion] = relationship()


class Submission(Base):
    """A submission exactly as it reached us, one row per instance id (edits are new rows)."""

    __tablename__ = "submissions"
    __table_args__ = (
        Index("ix_submissions_server_record", "server", "asset_uid", "record_id"),
        Index("ix_submissions_status", "status"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    instance_id: Mapped[str] = mapped_column(String(80), unique=True)
    root_id: Mapped[str | None] = mapped_column(String(80), index=True)
    deprecated_id: Mapped[str | None] = mapped_column(String(80))
    record_id: Mapped[int | None] = mapped_column(BigInteger)  # the server's `_id`
    server: Mapped[str] = mapped_column(String(10), default="kobo")
    source: Mapped[str] = mapped_column(String(10))  # webhook, pull, sweep, replay
    asset_uid: Mapped[str | None] = mapped_column(String(80), index=True)
    form_id: Mapped[str | None] = mapped_column(String(60), index=True)
    form_version_id: Mapped[int | None] = mapped_column(ForeignKey("form_versions.id"))
    server_version: Mapped[str | None] = mapped_column(String(80))  # Kobo `__version__`
    version_known: Mapped[bool] = mapped_column(Boolean, default=False)
    raw: Mapped[dict[str, Any]] = mapped_column(Json)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # received -> processed | failed; superseded (an edit replaced it); deleted (gone upstream)
    status: Mapped[str] = mapped_column(String(12), default="received")
    is_latest: Mapped[bool] = mapped_column(Boolean, default=True)
    error: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    process_count: Mapped[int] = mapped_column(Integer, default=0)


class DeadLetter(Base):
    """A payload we could not use, kept byte for byte with the reason."""

    __tablename__ = "dead_letters"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    source: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    content_type: Mapped[str | None] = mapped_column(String(120))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    headers: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


class PullCursor(Base):
    """Where the pull of one server form got to (Kobo `_id`, Central `updatedAt`)."""

    __tablename__ = "pull_cursors"
    __table_args__ = (UniqueConstraint("server", "asset_uid"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    server: Mapped[str] = mapped_column(String(10))
    asset_uid: Mapped[str] = mapped_column(String(80))
    last_record_id: Mapped[int] = mapped_column(BigInteger, default=0)
    last_updated_at: Mapped[str | None] = mapped_column(Text)  # Central watermark JSON
    last_pull_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_sweep_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class JobLock(Base):
    """A lease that keeps one periodic job (per key) from running twice at once."""

    __tablename__ = "job_locks"

    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    owner: Mapped[str] = mapped_column(String(120))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


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


class Recipient(Base):
    """Someone who receives alerts for a wilayah (a TPPS member), on one channel."""

    __tablename__ = "recipients"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(30))  # tpps_desa, tpps_kecamatan, tpps_kabkota
    wilayah_code: Mapped[str] = mapped_column(String(13), index=True)
    channel: Mapped[str] = mapped_column(String(20), default="email")
    address: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(5), default="id")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Alert(Base):
    """One alert, deduplicated by key so the same situation is announced once."""

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    desa_code: Mapped[str] = mapped_column(String(13), index=True)
    family_id: Mapped[int | None] = mapped_column(ForeignKey("families.id"))
    imp_code: Mapped[str | None] = mapped_column(String(40))
    text_id: Mapped[str] = mapped_column(Text)
    text_en: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Delivery(Base):
    """One alert sent (or being sent) to one recipient: the outbox row."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("alert_id", "recipient_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("recipients.id"))
    status: Mapped[str] = mapped_column(String(20), default="queued")  # queued, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class User(Base):
    """An admin of the district office or a TPPS member scoped to a wilayah."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    role: Mapped[str] = mapped_column(String(20))  # admin | tpps
    wilayah_code: Mapped[str | None] = mapped_column(String(13))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ApiToken(Base):
    """A bearer token for the API; only its hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditLog(Base):
    """Who did what, when: publications, forced overrides, exports, logins."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


class Heartbeat(Base):
    """Last sign of life of a process kind (worker, beat), shown by /readyz."""

    __tablename__ = "heartbeats"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    detail: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)


class PseudonymKeyCheck(Base):
    """A check value of the pseudonym keys that made the stored family keys (one row).

    Intake compares it with its own keys before storing anything, so a process left on an old
    key after `pantau keys rotate` stops instead of splitting families in two.
    """

    __tablename__ = "pseudonym_key_check"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    set_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
