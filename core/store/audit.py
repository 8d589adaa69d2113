"""The audit log: who read or changed what, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.store.models import AuditLog


def add(session: Session, actor: str, action: str, target: str, detail: dict[str, Any]) -> None:
    """Add one audit row (committed with the request or command that made it)."""
    session.add(AuditLog(actor=actor, action=action, target=target[:200], detail=detail))
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
