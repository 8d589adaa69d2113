"""Submissions as they reached us, dead letters, pull cursors, leases, heartbeats."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.store.db import Base
from core.store.models.base import BigId, Json, utcnow


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
    # No index of its own: every query by asset also names the server, and ix_..._server_record
    # serves those. A lone asset_uid index is what PostgreSQL chose, on a new table without
    # statistics, to look for other versions of a record: it then read every row of the form
    # on every delivery (migration 0005 drops it).
    asset_uid: Mapped[str | None] = mapped_column(String(80))
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
