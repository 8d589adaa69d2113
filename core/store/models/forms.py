"""Form versions built and where they were published."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.store.db import Base
from core.store.models.base import Json, utcnow


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
