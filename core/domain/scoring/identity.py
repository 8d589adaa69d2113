"""Pseudonymous family keys: a keyed hash of the KK number, so the number is never stored."""

from __future__ import annotations

from core.domain.privacy import KEY_HEX_CHARS, KEY_PREFIX, is_kk_number, keyed_digest
from core.domain.scoring.errors import IdentityError

__all__ = ["KEY_HEX_CHARS", "KEY_PREFIX", "family_key"]


def family_key(no_kk: str, secret: bytes) -> str:
    """Return "kel_" + the first 20 hex chars of HMAC-SHA256(secret, no_kk) for a 16-digit KK."""
    if not isinstance(secret, bytes | bytearray) or not secret:
        raise IdentityError("family_key needs a non-empty secret (bytes) from settings")
    if not isinstance(no_kk, str):
        raise IdentityError(f"no_kk must be a string of 16 digits, got {type(no_kk).__name__}")
    digits = no_kk.strip()
    # The message never repeats the number: errors end up in logs.
    if not is_kk_number(digits):
        raise IdentityError(
            f"no_kk must be exactly 16 digits (got {len(digits)} characters"
            f"{'' if digits.isascii() and digits.isdigit() else ', not all digits'})"
        )
    return KEY_PREFIX + keyed_digest(digits, bytes(secret))
