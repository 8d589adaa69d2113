"""Pseudonymise family numbers (KK/NIK) before anything is stored (UU 27/2022 PDP).

Intake replaces the answer of every identifying field with a keyed hash, so the raw submission
we keep, the facts and every log line carry only the pseudonym. The transform is deterministic:
duplicates and edits of one household still meet.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Any

from core.domain.scoring.errors import IdentityError
from core.domain.scoring.identity import family_key

# Last path segment of every answer that identifies a person or household.
IDENTIFYING_FIELDS = frozenset({"no_kk", "nik", "nik_istri", "nik_suami", "kki"})
INVALID_PREFIX = "invalid_"
_SIXTEEN_DIGITS = re.compile(rb"(?<![0-9])[0-9]{16}(?![0-9])")


def pseudonym(value: str, secret: bytes) -> str:
    """`kel_…` for a valid 16-digit number, `invalid_…` (still keyed) for anything else."""
    try:
        return family_key(value, secret)
    except IdentityError:
        digest = hmac.new(secret, value.strip().encode(), hashlib.sha256).hexdigest()
        return INVALID_PREFIX + digest[:20]


def is_pseudonym(value: Any) -> bool:
    """Whether value is already a pseudonym (re-pseudonymising must be a no-op)."""
    return isinstance(value, str) and value.startswith(("kel_", INVALID_PREFIX))


def pseudonymise(raw: Any, secret: bytes) -> Any:
    """A copy of a submission dict (groups, repeats) with identifying answers replaced."""
    if isinstance(raw, list):
        return [pseudonymise(v, secret) for v in raw]
    if not isinstance(raw, dict):
        return raw
    out: dict[str, Any] = {}
    for key, value in raw.items():
        name = key.rsplit("/", 1)[-1] if isinstance(key, str) else key
        if (
            name in IDENTIFYING_FIELDS
            and isinstance(value, str)
            and value
            and not is_pseudonym(value)
        ):
            out[key] = pseudonym(value, secret)
        else:
            out[key] = pseudonymise(value, secret)
    return out


def redact_bytes(body: bytes) -> bytes:
    """Blank every 16-digit run in a body we could not parse (dead letters keep the rest)."""
    return _SIXTEEN_DIGITS.sub(b"################", body)
