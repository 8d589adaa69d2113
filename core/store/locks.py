"""Leases in the database so one periodic job (per key) never runs twice at once.

A holder renews its lease from a heartbeat thread, so the lease can be short: a holder killed
with SIGKILL loses it within a minute, and at once to a process on the same host, which can
see that the holder's pid is gone.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from core.domain.errors import PantauError
from core.store.models import JobLock, utcnow

TTL = timedelta(seconds=60)
log = logging.getLogger("pantau.locks")


class LockBusy(PantauError):
    """Another process holds the lease; the message says who, and until when."""

    retryable = True

    def __init__(self, message: str, holder: str | None = None, until: datetime | None = None):
        super().__init__(message)
        self.holder = holder
        self.until = until


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def holder_is_dead(owner: str) -> bool:
    """Whether owner (`host:pid:token`) is a process of this host that no longer exists."""
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False  # another host: only the lease's expiry tells
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    return False


def acquire(factory: sessionmaker[Session], name: str, ttl: timedelta) -> str | None:
    """Take the lease `name` for ttl in its own transaction; return the owner token or None.

    An expired lease, or one whose holder is a dead process of this host, is taken over.
    """
    owner = _owner()
    now = utcnow()
    with factory() as session:
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
                if not _take_from_dead(session, name, owner, ttl):
                    return None
        session.commit()
    return owner


def _take_from_dead(session: Session, name: str, owner: str, ttl: timedelta) -> bool:
    held = session.scalar(select(JobLock.owner).where(JobLock.name == name))
    if held is None or not holder_is_dead(held):
        return False
    log.warning("lease %s: holder %s is dead; taking it over", name, held)
    return bool(
        session.execute(
            update(JobLock)
            .where(JobLock.name == name, JobLock.owner == held)
            .values(owner=owner, expires_at=utcnow() + ttl)
        ).rowcount
    )


def holder(factory: sessionmaker[Session], name: str) -> tuple[str, datetime] | None:
    """(owner, expires at) of the lease name, if anyone holds it."""
    with factory() as session:
        row = session.get(JobLock, name)
        return (row.owner, row.expires_at) if row else None


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


def _busy(factory: sessionmaker[Session], name: str) -> LockBusy:
    held = holder(factory, name)
    if held is None:  # released between our attempt and this look
        return LockBusy(f"{name} is already running")
    owner, until = held
    return LockBusy(
        f"{name} is already running: held by {owner} until "
        f"{until:%Y-%m-%d %H:%M:%S} UTC (renewed while it runs; a dead holder's lease "
        "lapses then, or at once on its own host)",
        owner,
        until,
    )


class _Heartbeat(threading.Thread):
    """Renews a held lease every quarter of its ttl until stopped."""

    def __init__(self, factory: sessionmaker[Session], name: str, owner: str, ttl: timedelta):
        super().__init__(name=f"lease-{name}", daemon=True)
        self.args = (factory, name, owner, ttl)
        self.stopped = threading.Event()

    def run(self) -> None:
        interval = self.args[3].total_seconds() / 4
        while not self.stopped.wait(interval):
            try:
                if not renew(*self.args):
                    return  # lost: the job's own renew() notices and stops
            except SQLAlchemyError as exc:  # busy or away: try again at the next beat
                log.warning("lease %s: heartbeat failed: %s", self.args[1], exc.__class__.__name__)


@contextmanager
def lease(factory: sessionmaker[Session], name: str, ttl: timedelta = TTL) -> Iterator[str]:
    """Hold `name` for the duration of the block, kept alive by a heartbeat; or raise LockBusy."""
    owner = acquire(factory, name, ttl)
    if owner is None:
        raise _busy(factory, name)
    beat = _Heartbeat(factory, name, owner, ttl)
    beat.start()
    try:
        yield owner
    finally:
        beat.stopped.set()
        beat.join()
        release(factory, name, owner)
