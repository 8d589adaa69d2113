"""The pseudonym keys' check value, and re-keying every stored pseudonym (a key rotation)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Column, Table, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.domain.errors import PantauError
from core.store.db import advisory_lock
from core.store.models import (
    Alert,
    AuditLog,
    DeadLetter,
    DomainEvent,
    Fact,
    Family,
    PseudonymKeyCheck,
    RiskAssessment,
    Submission,
    utcnow,
)

LOCK = "pseudonym-keys"
BATCH = 500

# Every column that may hold a pseudonym: the family key itself, and JSON or text that quotes
# one (stored answers, facts, assessments, events, alerts, dead letters, the audit log).
PSEUDONYM_COLUMNS: tuple[Column[Any], ...] = (
    Submission.__table__.c.raw,
    Submission.__table__.c.error,
    Fact.__table__.c["values"],
    Family.__table__.c.family_key,
    RiskAssessment.__table__.c.details,
    DomainEvent.__table__.c.payload,
    Alert.__table__.c.finding_key,
    Alert.__table__.c.payload,
    DeadLetter.__table__.c.body,
    DeadLetter.__table__.c.reason,
    AuditLog.__table__.c.detail,
)


class PseudonymKeyMismatch(PantauError):
    """The pseudonym keys of a process did not make the stored family keys (a missed rotation).

    Retryable: once the process runs with the keys in force, the same record is stored.
    """

    retryable = True


def check_key(session: Session, fingerprint: str, *, lock: bool = True) -> None:
    """Fail unless fingerprint is the stored keys' check value (the first one stored claims it).

    Holds a shared lock until the transaction ends, so a rotation waits for stores in flight
    and stores wait for a rotation. `lock=False` for a transaction that already wrote to
    submissions (its table lock keeps a rotation out; taking the shared lock after it could
    deadlock with a rotation that holds the exclusive one and waits for the table).
    """
    if lock:
        advisory_lock(session, LOCK, shared=True)
    stored = session.scalar(select(PseudonymKeyCheck.fingerprint).where(PseudonymKeyCheck.id == 1))
    if stored is None:
        stored = _claim(session, fingerprint)
    if stored != fingerprint:
        raise PseudonymKeyMismatch(
            "the pseudonym keys of this process did not make the stored family keys (were "
            "they rotated with `pantau keys rotate`?): set PANTAU_PSEUDONYM_KEY and "
            "PANTAU_PSEUDONYM_PREVIOUS_KEYS as the rotation said and restart"
        )


def _claim(session: Session, fingerprint: str) -> str:
    try:
        with session.begin_nested():
            session.add(PseudonymKeyCheck(id=1, fingerprint=fingerprint, set_at=utcnow()))
    except IntegrityError:
        pass  # another process claimed it first: compare with theirs
    return session.scalar(select(PseudonymKeyCheck.fingerprint).where(PseudonymKeyCheck.id == 1))


def lock_for_rotation(session: Session) -> None:
    """Keep every writer of a pseudonym out until this transaction ends."""
    advisory_lock(session, LOCK)
    if session.get_bind().dialect.name == "postgresql":
        tables = ", ".join(sorted({c.table.name for c in PSEUDONYM_COLUMNS}))
        # EXCLUSIVE lets readers (dashboards) read on while writers (processing) wait.
        session.execute(text(f"LOCK TABLE {tables} IN EXCLUSIVE MODE"))


def set_key(session: Session, fingerprint: str) -> None:
    """Store the check value of the keys in force from now on."""
    row = session.get(PseudonymKeyCheck, 1)
    if row is None:
        session.add(PseudonymKeyCheck(id=1, fingerprint=fingerprint, set_at=utcnow()))
    else:
        row.fingerprint, row.set_at = fingerprint, utcnow()
    session.flush()


def rewrite_column(session: Session, column: Column[Any], change: Callable[[Any], Any]) -> int:
    """Apply change to every non-null value of column, in batches; return the rows changed."""
    table: Table = column.table  # type: ignore[assignment]
    key = next(iter(table.primary_key.columns))
    changed, last = 0, None
    while True:
        stmt = select(key, column).where(column.is_not(None)).order_by(key).limit(BATCH)
        if last is not None:
            stmt = stmt.where(key > last)
        rows = session.execute(stmt).all()
        if not rows:
            return changed
        for pk, value in rows:
            new = change(value)
            if new != value:
                session.execute(update(table).where(key == pk).values({column.name: new}))
                changed += 1
        last = rows[-1][0]
