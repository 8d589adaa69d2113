"""Leases in the database so one periodic job (per key) never runs twice at once."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from core.domain.errors import PantauError
from core.store.models import JobLock, utcnow


class LockBusy(PantauError):
    """Another process holds the lease."""

    retryable = True


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def acquire(factory: sessionmaker[Session], name: str, ttl: timedelta) -> str | None:
    """Take the lease `name` for ttl in its own transaction; return the owner token or None."""
    owner = _owner()
    now = utcnow()
    with factory() as session:
        # An expired lease (its holder crashed) is taken over; a live one is left alone.
        taken = session.execute(
            update(JobLock)
            .where(JobLock.name == name, JobLock.expires_at < now)
            .values(owner=owner, expires_at=now + ttl)
        ).rowcount
        if not taken:
            session.add(JobLock(name=name, owner=owner, expires_at=now + ttl))
            try:
                session.flush()
            except IntegrityError:
                session.rollback()
                return None
        session.commit()
    return owner


def renew(factory: sessionmaker[Session], name: str, owner: str, ttl: timedelta) -> bool:
    """Extend a lease we hold; False if it was lost."""
    with factory() as session:
        n = session.execute(
            update(JobLock)
            .where(JobLock.name == name, JobLock.owner == owner)
            .values(expires_at=utcnow() + ttl)
        ).rowcount
        session.commit()
    return n == 1


def release(factory: sessionmaker[Session], name: str, owner: str) -> None:
    """Give the lease back."""
    with factory() as session:
        session.execute(delete(JobLock).where(JobLock.name == name, JobLock.owner == owner))
        session.commit()


@contextmanager
def lease(
    factory: sessionmaker[Session], name: str, ttl: timedelta = timedelta(minutes=10)
) -> Iterator[str]:
    """Hold `name` for the duration of the block, or raise LockBusy."""
    owner = acquire(factory, name, ttl)
    if owner is None:
        raise LockBusy(f"{name} is already running")
    try:
        yield owner
    finally:
        release(factory, name, owner)
