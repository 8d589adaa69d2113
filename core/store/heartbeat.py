"""Signs of life of the worker and beat processes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from core.store.models import Heartbeat, utcnow


def beat(session: Session, name: str, detail: dict[str, Any] | None = None) -> None:
    """Record that the process kind `name` is alive now."""
    row = session.get(Heartbeat, name)
    if row is None:
        session.add(Heartbeat(name=name, at=utcnow(), detail=detail or {}))
    else:
        row.at = utcnow()
        row.detail = detail or {}


def last_beat(session: Session, name: str) -> tuple[datetime, dict[str, Any]] | None:
    """When `name` last beat and what it said, or None."""
    row = session.get(Heartbeat, name)
    return (row.at, row.detail) if row else None
