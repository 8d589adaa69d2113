"""Who may see what: roles, the wilayah a user's role covers, and credentials.

Scoping is one mechanism: a `Scope` (the dotted wilayah prefixes a user may see) that every
store query of the web applies. Nothing here touches the database.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from core.domain.errors import PantauError
from core.domain.wilayah import UnknownWilayah, parse_code

ADMIN, SUPERVISOR, TPPS = "admin", "supervisor", "tpps"
ROLES = (ADMIN, SUPERVISOR, TPPS)
# Failed logins allowed per user name and address within the window before logins pause.
LOGIN_MAX_FAILURES = 5
LOGIN_WINDOW = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 10
TOKEN_PREFIX = "pnt_"  # noqa: S105 - a label, not a secret  # nosec B105

_hasher = PasswordHasher()


class AccessError(PantauError):
    """A user, role, wilayah or credential that cannot be accepted; the message says why."""

    bad_input = True


@dataclass(frozen=True)
class Scope:
    """The wilayah a user may see: dotted prefixes, or everywhere when `prefixes` is None.

    `families` is False for a role that sees IMPs but not families (a supervisor): its family
    queries match nothing, and of the alerts it sees only those about IMPs.
    """

    prefixes: tuple[str, ...] | None
    families: bool = True

    @property
    def everywhere(self) -> bool:
        """Whether this scope has no wilayah limit."""
        return self.prefixes is None

    def allows(self, code: str | None) -> bool:
        """Whether a dotted code lies inside this scope."""
        if self.prefixes is None:
            return True
        return bool(code) and any(_inside(code, p) for p in self.prefixes)

    def narrowed(self, wilayah: str | None) -> Scope:
        """The scope limited to a filter prefix (what a `?wilayah=` asks for)."""
        if not wilayah:
            return self
        if self.prefixes is None:
            return Scope((wilayah,), self.families)
        kept = []
        for p in self.prefixes:
            if _inside(wilayah, p):
                kept.append(wilayah)
            elif _inside(p, wilayah):
                kept.append(p)
        return Scope(tuple(dict.fromkeys(kept)), self.families)

    def for_families(self) -> Scope:
        """The scope family queries use: nothing at all for a role that sees no families."""
        return self if self.families else Scope(())


def _inside(code: str, prefix: str) -> bool:
    prefix = prefix.rstrip(".")
    return code == prefix or code.startswith(prefix + ".")


def scope_for(role: str, areas: Iterable[str]) -> Scope:
    """The scope of a role over its wilayah (an admin without one sees every wilayah)."""
    areas = tuple(areas)
    if role == ADMIN:
        return Scope(areas or None)
    if role == SUPERVISOR:
        return Scope(areas, families=False)
    return Scope(areas)


def check_areas(role: str, codes: Iterable[str]) -> tuple[str, ...]:
    """The dotted wilayah of a new user, checked against what its role covers."""
    if role not in ROLES:
        raise AccessError(f"role {role!r} is not one of {', '.join(ROLES)}")
    try:
        parsed = tuple(dict.fromkeys(parse_code(c) for c in codes))
    except UnknownWilayah as exc:
        raise AccessError(str(exc)) from None
    levels = [c.count(".") + 1 for c in parsed]
    if role == ADMIN and (len(parsed) > 1 or any(lv != 2 for lv in levels)):
        raise AccessError("an admin has at most one --wilayah, a kabupaten/kota (e.g. 32.77)")
    if role == SUPERVISOR and (not parsed or any(lv != 4 for lv in levels)):
        raise AccessError(
            "a supervisor needs its desa/kelurahan: one --wilayah per desa (e.g. 32.77.01.1001)"
        )
    if role == TPPS and (len(parsed) != 1 or levels[0] < 2):
        raise AccessError(
            "a tpps user needs exactly one --wilayah: its desa/kelurahan, kecamatan or kab/kota"
        )
    return parsed


def hash_password(password: str) -> str:
    """An argon2id hash of a password that is long enough."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccessError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Whether password matches the stored hash (False when the user has none)."""
    if not stored:
        # Spend the same time as a real check, so a missing user is not told apart by timing.
        _hasher.hash(password or "-")
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A fresh API token: 32 random bytes, URL-safe, with a recognisable prefix."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What is stored of a token: its SHA-256 (a token is random, so no slow hash is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def same_secret(given: str, expected: str) -> bool:
    """Constant-time comparison of two secrets (CSRF tokens and the like)."""
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())
