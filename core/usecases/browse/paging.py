"""Cursor pages: `{"items": [...], "next": cursor|None}` over a stable order."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from core.domain.access import Scope
from core.usecases.browse.errors import BadQuery, NotVisible

DEFAULT_LIMIT = 50
# Ids are 64-bit integers: a larger number is no id (and neither database could compare it).
BIGGEST_ID = 2**63
MAX_LIMIT = 200


@dataclass
class Page:
    """One page of a listing and the cursor of the next one (None on the last page)."""

    items: list[dict[str, Any]]
    next: str | None


def encode_cursor(key: Any) -> str:
    """An opaque cursor for the last key of a page."""
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None, kind: type | tuple[type, ...]) -> Any:
    """The key inside a cursor, which must be of `kind`; BadQuery for anything else."""
    if not cursor:
        return None
    try:
        key = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeError):
        raise BadQuery("cursor: not a cursor this API gave out") from None
    if not isinstance(key, kind) or isinstance(key, bool):
        raise BadQuery("cursor: not a cursor of this listing")
    if isinstance(key, int) and not 0 < key < BIGGEST_ID:
        raise BadQuery("cursor: not a cursor of this listing")
    return key


def limit_of(value: Any) -> int:
    """A page size between 1 and MAX_LIMIT (DEFAULT_LIMIT when absent)."""
    if value in (None, ""):
        return DEFAULT_LIMIT
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise BadQuery(f"limit: an integer from 1 to {MAX_LIMIT}") from None
    if not 1 <= n <= MAX_LIMIT:
        raise BadQuery(f"limit: an integer from 1 to {MAX_LIMIT}")
    return n


def page_of(rows: list[Any], limit: int, key: Any, shape: Any) -> Page:
    """A page from up to limit+1 rows: the extra row only says that there is a next page."""
    more = len(rows) > limit
    rows = rows[:limit]
    return Page([shape(r) for r in rows], encode_cursor(key(rows[-1])) if more else None)


def narrowed(scope: Scope, wilayah: str | None) -> Scope:
    """The scope limited to a `wilayah` filter; NotVisible when the filter lies outside it."""
    if not wilayah:
        return scope
    code = wilayah.strip().rstrip(".")
    parts = code.split(".")
    if not all(p.isdigit() for p in parts) or [len(p) for p in parts] not in (
        [2],
        [2, 2],
        [2, 2, 2],
        [2, 2, 2, 4],
    ):
        raise BadQuery("wilayah: a dotted Kemendagri code such as 32.77.01.1001")
    inner = scope.narrowed(code)
    if inner.prefixes is not None and not inner.prefixes:
        raise NotVisible(f"no wilayah {code}")
    return inner


def flag(value: Any, name: str) -> bool | None:
    """A true/false query parameter (None when absent)."""
    if value in (None, ""):
        return None
    text = str(value).lower()
    if text in ("true", "1", "yes", "ya"):
        return True
    if text in ("false", "0", "no", "tidak"):
        return False
    raise BadQuery(f"{name}: true or false")


def choice(value: Any, name: str, allowed: tuple[str, ...]) -> str | None:
    """A query parameter that must be one of allowed (None when absent)."""
    if value in (None, ""):
        return None
    if value not in allowed:
        raise BadQuery(f"{name}: one of {', '.join(allowed)}")
    return value


def scan(fetch: Any, key: Any, keep: Any, after: Any, limit: int, chunk: int = 500) -> list[Any]:
    """Up to limit+1 rows that `keep` accepts, reading `fetch(after, n)` chunk by chunk.

    For filters that look inside stored JSON (a family's factors, an IMP's current tier):
    the order and the cursor stay those of the table, so pages stay stable.
    """
    kept: list[Any] = []
    while len(kept) <= limit:
        rows = fetch(after, chunk)
        kept.extend(r for r in keep(rows))
        if len(rows) < chunk:
            break
        after = key(rows[-1])
    return kept[: limit + 1]
