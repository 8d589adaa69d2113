"""Central's timestamps and OData query strings."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote


def parse_time(value: str | None) -> datetime | None:
    """Parse one of Central's ISO timestamps (`2026-08-21T03:05:42.123Z`) into an aware datetime."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def format_time(value: datetime) -> str:
    """Format an aware datetime the way Central does: UTC, milliseconds, `Z`."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: give a timezone")
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def odata_query(params: Mapping[str, Any]) -> str:
    """Build an OData query string; every reserved character is percent-encoded.

    A raw `+` in a query string reads as a space (Central answers 400.18), so `+07:00`
    must travel as `%2B07:00`; `$` travels as `%24` as Central's own links do.
    """
    parts = []
    for key, value in params.items():
        if value is None:
            continue
        parts.append(f"{quote(key, safe='')}={quote(str(value), safe='')}")
    return "&".join(parts)
