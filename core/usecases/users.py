"""Users of the web, their tokens and passwords; who a request is (`pantau users …`, login)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from core.domain.access import (
    LOGIN_MAX_FAILURES,
    LOGIN_WINDOW,
    AccessError,
    Scope,
    check_areas,
    hash_password,
    new_token,
    scope_for,
    token_digest,
    verify_password,
)
from core.domain.privacy import blank_numbers
from core.store import audit
from core.store import users as store
from core.store.models import User, utcnow

__all__ = ["AccessError", "LoginRefused", "Principal"]


class LoginRefused(AccessError):
    """A dashboard login that failed: a wrong name or password, or too many failures."""

    def __init__(self, message: str, *, limited: bool = False) -> None:
        super().__init__(message)
        self.limited = limited


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user's name, role, wilayah and what they may see."""

    user_id: int
    username: str
    role: str
    areas: tuple[str, ...]
    session_epoch: int = 0

    @property
    def scope(self) -> Scope:
        """The wilayah this user may see."""
        return scope_for(self.role, self.areas)

    @property
    def is_admin(self) -> bool:
        """Whether the user is a district office admin."""
        return self.role == "admin"


def principal_of(user: User) -> Principal:
    """The principal of a stored user."""
    return Principal(user.id, user.username, user.role, tuple(user.areas), user.session_epoch)


def add_user(
    session: Session, username: str, role: str, wilayah: list[str], actor: str = "cli"
) -> tuple[User, bool]:
    """Create a user (or change an existing one's role and wilayah, reactivating it)."""
    username = username.strip()
    if not username or len(username) > 80 or any(c.isspace() for c in username):
        raise AccessError("a user name is 1-80 characters without spaces")
    if blank_numbers(username) != username:
        raise AccessError(
            "a user name may not hold a 16-digit number (a NIK or KK number is never stored "
            "in clear): choose another"
        )
    areas = list(check_areas(role, wilayah))
    user = store.by_name(session, username)
    created = user is None
    if user is None:
        user = User(username=username, role=role, areas=areas, active=True, session_epoch=0)
        session.add(user)
    else:
        user.role, user.areas, user.active = role, areas, True
        user.session_epoch += 1  # a changed scope must not live on in an old session
    session.flush()
    audit.add(session, actor, "user.add" if created else "user.change", username, {"role": role})
    return user, created


def _existing(session: Session, username: str) -> User:
    user = store.by_name(session, username)
    if user is None:
        raise AccessError(f"no user {username!r} (see `pantau users list`)")
    return user


def issue_token(session: Session, username: str, actor: str = "cli") -> str:
    """A new API token for a user: returned once, only its SHA-256 is kept."""
    user = _existing(session, username)
    if not user.active:
        raise AccessError(f"user {username!r} is revoked: `pantau users add` it again first")
    token = new_token()
    store.add_token(session, user, token_digest(token))
    audit.add(session, actor, "user.token", username, {})
    return token


def set_password(session: Session, username: str, password: str, actor: str = "cli") -> None:
    """Set a user's dashboard password (ending its open sessions)."""
    user = _existing(session, username)
    if not user.active:
        raise AccessError(f"user {username!r} is revoked: `pantau users add` it again first")
    user.password_hash = hash_password(password)
    user.session_epoch += 1
    audit.add(session, actor, "user.password", username, {})


def revoke(session: Session, username: str, actor: str = "cli") -> int:
    """Take a user's access away: every token, the password, open sessions; tokens revoked."""
    user = _existing(session, username)
    count = store.revoke_tokens(session, user)
    user.active, user.password_hash = False, None
    user.session_epoch += 1
    audit.add(session, actor, "user.revoke", username, {"tokens": count})
    return count


def list_users(session: Session) -> list[dict[str, Any]]:
    """Every user with role, wilayah, whether it can log in, and its live tokens."""
    tokens = store.live_tokens(session)
    return [
        {
            "name": u.username,
            "role": u.role,
            "wilayah": ",".join(u.areas) or "*",
            "active": u.active,
            "password": bool(u.password_hash),
            "tokens": tokens.get(u.id, 0),
            "created_at": u.created_at.isoformat(),
        }
        for u in store.all_users(session)
    ]


def by_token(session: Session, token: str) -> Principal | None:
    """Who holds this bearer token (None for an unknown or revoked one)."""
    if not token:
        return None
    user = store.user_by_token(session, token_digest(token))
    return principal_of(user) if user is not None else None


def by_session(session: Session, user_id: int, epoch: int) -> Principal | None:
    """The user of a dashboard session, while the session's epoch is still the user's."""
    user = session.get(User, user_id)
    if user is None or not user.active or user.session_epoch != epoch:
        return None
    return principal_of(user)


def login(session: Session, username: str, password: str, address: str) -> Principal:
    """Check a dashboard login; LoginRefused after a wrong one or too many recent failures.

    Failures are counted per user name and address in the database, so every web worker
    sees the same count. Does not commit: the caller commits the failure too.
    """
    now = utcnow()
    since = now - LOGIN_WINDOW
    # What was typed is kept (failures, audit) blanked: people type their NIK as a login
    # name. No user's name holds one (add_user refuses it), so nothing is merged that counts.
    typed = blank_numbers(username)[:80]
    if store.recent_failures(session, typed, address, since) >= LOGIN_MAX_FAILURES:
        audit.add(session, typed, "login.limited", address, {})
        raise LoginRefused("too many failed logins: wait 15 minutes", limited=True)
    user = store.by_name(session, username)
    ok = verify_password(user.password_hash if user and user.active else None, password)
    if not ok or user is None:
        store.add_failure(session, typed, address)
        audit.add(session, typed, "login.failed", address, {})
        raise LoginRefused("wrong user name or password")
    store.forget_failures(session, typed, address, before=since)
    audit.add(session, user.username, "login", address, {})
    return principal_of(user)
