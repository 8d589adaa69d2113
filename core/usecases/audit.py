"""The audit trail of reads of family data and of changes (`pantau audit`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from core.store import audit as store


def record(session: Session, actor: str, action: str, target: str = "", **detail: Any) -> None:
    """Write who did what to which target, with the filters or values that matter."""
    store.add(session, actor, action, target, {k: v for k, v in detail.items() if v is not None})


def trail(
    session: Session, actor: str | None = None, since: datetime | None = None
) -> list[dict[str, Any]]:
    """Audit rows, oldest first, as JSON-able dicts."""
    return [
        {
            "at": r.at.isoformat(),
            "actor": r.actor,
            "action": r.action,
            "target": r.target,
            "detail": r.detail,
        }
        for r in store.entries(session, actor, since)
    ]
