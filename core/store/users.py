"""Queries on users, their API tokens and failed logins."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from core.store.models import ApiToken, LoginFailure, User, utcnow


def by_name(session: Session, username: str) -> User | None:
    """The user with this name, active or not."""
    return session.scalar(select(User).where(User.username == username))


def all_users(session: Session) -> list[User]:
    """Every user, by name."""
    return list(session.scalars(select(User).order_by(User.username)))


def add_token(session: Session, user: User, digest: str) -> ApiToken:
    """Store a new token's digest for user."""
    token = ApiToken(user_id=user.id, token_sha256=digest)
    session.add(token)
    session.flush()
    return token


def user_by_token(session: Session, digest: str) -> User | None:
    """The active user holding an unrevoked token with this digest; marks the token used."""
    row = session.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_sha256 == digest, ApiToken.revoked.is_(False), User.active.is_(True))
    ).first()
    if row is None:
        return None
    token, user = row
    now = utcnow()
    last = token.last_used_at
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=now.tzinfo)  # SQLite gives naive UTC back
    # At most one write a minute per token: every API call must not become a write.
    if last is None or now - last > timedelta(minutes=1):
        token.last_used_at = now
    return user


def revoke_tokens(session: Session, user: User) -> int:
    """Revoke every token of user; how many were live."""
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False))
        .values(revoked=True)
    )
    return result.rowcount


def live_tokens(session: Session) -> dict[int, int]:
    """Unrevoked tokens per user id."""
    rows = session.execute(
        select(ApiToken.user_id, func.count())
        .where(ApiToken.revoked.is_(False))
        .group_by(ApiToken.user_id)
    )
    return dict(rows.all())


def recent_failures(session: Session, username: str, address: str, since: datetime) -> int:
    """Failed logins of a user name from an address since a time."""
    return session.scalar(
        select(func.count()).where(
            LoginFailure.username == username,
            LoginFailure.address == address,
            LoginFailure.at >= since,
        )
    )


def add_failure(session: Session, username: str, address: str) -> None:
    """Record one failed login."""
    session.add(LoginFailure(username=username[:80], address=address[:64]))
    session.flush()


def forget_failures(session: Session, username: str, address: str, before: datetime) -> None:
    """Drop failures of a user name from an address (after a success), and any old ones."""
    session.execute(
        delete(LoginFailure).where(
            ((LoginFailure.username == username) & (LoginFailure.address == address))
            | (LoginFailure.at < before)
        )
    )
