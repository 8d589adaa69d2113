"""Who receives alerts: `pantau recipients import|list|remove`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from core.domain.alerts.recipients import check_header, validate_recipients
from core.store import alerts as store
from core.usecases.registry import read_table


def import_recipients(session: Session, path: Path) -> dict[str, list[str]]:
    """Validate a whole recipients file, then upsert it by name; RegistryError lists bad rows."""
    rows = validate_recipients(read_table(path, check_header))
    return store.upsert_recipients(session, rows)


def list_recipients(session: Session) -> list[dict[str, Any]]:
    """Active recipients as JSON-able rows."""
    return [
        {
            "name": r.name,
            "role": r.role,
            "wilayah": r.wilayah_code,
            "channel": r.channel,
            "address": r.address,
            "language": r.language,
        }
        for r in store.recipients(session)
    ]


def remove_recipient(session: Session, name: str) -> bool:
    """Stop alerting a recipient (deliveries already made stay on record)."""
    return store.deactivate_recipient(session, name)
