"""Small helpers shared by the Kobo sandbox: uids and timestamps in Kobo's formats."""

from __future__ import annotations

import random
import secrets
from datetime import UTC, datetime

# shortuuid's alphabet (what kpi's KpiUidField draws from): no 0/1/I/O/l look-alikes.
_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_sysrand = random.SystemRandom()


def new_uid(prefix: str, length: int = 21) -> str:
    """A kpi-style uid: a one-letter kind prefix and random shortuuid characters."""
    return prefix + "".join(_sysrand.choice(_ALPHABET) for _ in range(length))


def new_hex() -> str:
    """A 32-character hex uuid, the shape of kobocat's `formhub/uuid`."""
    return secrets.token_hex(16)


def utcnow() -> datetime:
    """The current UTC time."""
    return datetime.now(UTC)


def submission_time(now: datetime | None = None) -> str:
    """`_submission_time` as Kobo writes it: UTC, no offset, whole seconds."""
    return (now or utcnow()).strftime("%Y-%m-%dT%H:%M:%S")


def iso_time(now: datetime | None = None) -> str:
    """A DRF-style ISO timestamp with microseconds and `Z`, as kpi's serializers render."""
    return (now or utcnow()).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
