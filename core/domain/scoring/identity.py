"""Pseudonymous family keys: a keyed hash of the KK number, so the number is never stored."""

from __future__ import annotations

import hashlib
import hmac

from core.domain.scoring.errors import IdentityError

KEY_PREFIX = "kel_"
KEY_HEX_CHARS = 20


def family_key(no_kk: str, secret: bytes) -> str:
    """Return "kel_" + the first 20 hex chars of HMAC-SHA256(secret, no_kk) for a 16-digit KK."""
    if not isinstance(secret, bytes | bytearray) or not secret:
        raise IdentityError("family_key needs a non-empty secret (bytes) from settings")
    if not isinstance(no_kk, str):
        raise IdentityError(f"no_kk must be a string of 16 digits, got {type(no_kk).__name__}")
    digits = no_kk.strip()
    # The message never repeats the number: errors end up in logs.
    if len(digits) != 16 or not (digits.isascii() and digits.isdigit()):
        raise IdentityError(
            f"no_kk must be exactly 16 digits (got {len(digits)} characters"
            f"{'' if digits.isascii() and digits.isdigit() else ', not all digits'})"
        )
    digest = hmac.new(bytes(secret), digits.encode("ascii"), hashlib.sha256).hexdigest()
    return KEY_PREFIX + digest[:KEY_HEX_CHARS]
