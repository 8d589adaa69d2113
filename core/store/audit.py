"""The audit log: who read or changed what, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.domain.privacy import blank_all, blank_numbers
from core.store.models import AuditLog


def add(session: Session, actor: str, action: str, target: str, detail: dict[str, Any]) -> None:
    """Add one audit row (committed with the request or command that made it).

    Every row comes through here, with what users typed in it (filters, a login name, a
    target): a NIK/KK typed there is blanked, as the audit log is read by admins.
    """
    session.add(
        AuditLog(
            actor=blank_numbers(actor),
            action=action,
            target=blank_numbers(target)[:200],
            detail=blank_all(detail),
        )
    )
    session.flush()


def entries(
    session: Session, actor: str | None = None, since: datetime | None = None, limit: int = 1000
) -> list[AuditLog]:
    """Audit rows, oldest first, optionally of one actor and since a time."""
    stmt = select(AuditLog).order_by(AuditLog.at.desc(), AuditLog.id.desc()).limit(limit)
    if actor:
        stmt = stmt.where(AuditLog.actor == actor)
    if since is not None:
        stmt = stmt.where(AuditLog.at >= since)
    return list(reversed(list(session.scalars(stmt))))
