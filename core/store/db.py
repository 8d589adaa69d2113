"""Engine and session factory; one session per request or task, committed at that boundary."""

from __future__ import annotations

import hashlib
import select
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from config.settings import Settings
from core.store.errors import DatabaseNotReady, DatabaseUnavailable
from core.store.files import private_sqlite
from core.store.intake_first import IntakeGate, gate_of

T = TypeVar("T")

# How long a SQLite statement or BEGIN waits for the write lock before it fails (the webhook
# then answers 503 and Kobo retries).
BUSY_MS = 5000


class Base(DeclarativeBase):
    """Declarative base for every Pantau table."""


def _sqlite_pragmas(synchronous: str):
    def on_connect(dbapi_conn, _record) -> None:
        # SQLAlchemy, not the sqlite3 module, decides where transactions begin (see below).
        dbapi_conn.isolation_level = None
        # WAL lets the webhook write while workers read; busy_timeout turns a short lock into
        # a wait instead of an error (a long one still surfaces and the webhook answers 503).
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        # FULL (the default): a 202 the webhook answered survives a power loss; NORMAL may
        # lose the last commits of WAL mode. `make bench` measures what FULL costs.
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute(f"PRAGMA busy_timeout={BUSY_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    return on_connect


# A writer waiting for SQLite's lock asks again after at most _PAUSE; a connection that
# just committed leaves the lock free for _GAP before it asks again itself.
_PAUSE = 0.001
_GAP = 0.002


class _SqliteConnection(sqlite3.Connection):
    """sqlite3's connection, noting when it last ended a transaction (see _GAP)."""

    released_at = 0.0

    def commit(self) -> None:
        super().commit()
        self.released_at = time.monotonic()

    def rollback(self) -> None:
        super().rollback()
        self.released_at = time.monotonic()


def _sqlite_begin_immediate(conn) -> None:
    """Take SQLite's one write lock at BEGIN, asking for it every few milliseconds.

    BEGIN IMMEDIATE: a deferred transaction that reads and then writes fails at once with
    "database is locked" when another connection committed in between (WAL snapshot
    conflict; the busy timeout does not apply). Taking the lock at BEGIN makes writers queue.

    Asking ourselves, not through SQLite's busy handler: that one sleeps up to 100 ms between
    tries, so a worker committing unit after unit re-took the lock every time before a waiting
    webhook looked again, and deliveries timed out after 5 s (measured: median wait 1.5 s,
    1 in 5 timed out; asking every millisecond, it waits for the end of the current unit).
    """
    raw = conn.connection.dbapi_connection
    # Nor may this connection take the lock again the moment it let go of it: a process
    # committing unit after unit leaves a gap at least as long as the others' pause.
    since = time.monotonic() - getattr(raw, "released_at", 0.0)
    if since < _GAP:
        time.sleep(_GAP - since)
    deadline = time.monotonic() + BUSY_MS / 1000
    pause = 0.0002
    raw.execute("PRAGMA busy_timeout=0")
    try:
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() + pause > deadline:
                    break
            time.sleep(pause)
            pause = min(pause * 2, _PAUSE)
        # Once more through SQLAlchemy: a failure then surfaces as its OperationalError, the
        # transient error callers turn into DatabaseUnavailable.
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    finally:
        raw.execute(f"PRAGMA busy_timeout={BUSY_MS}")


def sqlite_path(url: str) -> Path | None:
    """The file a `sqlite:///…` URL names (None for memory and URI forms, or another engine)."""
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[-1]
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return Path(path)


def _sqlite_begin(gate: IntakeGate | None) -> Callable[[object], None]:
    def begin(conn) -> None:
        if gate is not None:
            gate.let_deliveries_pass()  # a background connection: deliveries go first
        _sqlite_begin_immediate(conn)

    return begin


def webhook_delivery(database_url: str) -> AbstractContextManager[None]:
    """Around a webhook delivery's use of the database: on SQLite it goes before background work.

    See core.store.intake_first; on PostgreSQL this does nothing.
    """
    path = sqlite_path(database_url)
    return gate_of(path).delivery() if path is not None else nullcontext()


def make_engine(settings: Settings, *, create: bool = True, background: bool = False) -> Engine:
    """Create the engine for the configured database (SQLite file or PostgreSQL).

    With `create=False` a SQLite file that does not exist is refused (DatabaseNotReady) before
    anything is made: neither the file nor its folders. `background`: the engine of a worker,
    whose transactions on SQLite let waiting webhook deliveries go first.
    """
    url = settings.database_url
    path = sqlite_path(url)
    if path is not None and not create and not path.is_file():
        raise DatabaseNotReady(
            f"no database at {path} (PANTAU_DATABASE_URL): check the setting, or create it "
            "with `pantau db upgrade`"
        )
    if url.startswith("sqlite"):
        if path is not None:
            private_sqlite(path)
        # hide_parameters: an error's text must never carry the values bound to the statement
        # (answers of a submission) into submissions.error, logs or the audit log.
        # One connection per process: every SQLite transaction begins IMMEDIATE (one writer at
        # a time), so threads (gthread web workers) gain nothing from more, and waiting in the
        # pool's queue wakes at once where SQLite's busy handler sleeps in steps of up to 100 ms.
        engine = create_engine(
            url,
            connect_args={"timeout": BUSY_MS / 1000, "factory": _SqliteConnection},
            hide_parameters=True,
            pool_size=1,
            max_overflow=0,
            pool_timeout=5,
        )
        event.listen(engine, "connect", _sqlite_pragmas(settings.sqlite_synchronous))
        gate = gate_of(path) if background and path is not None else None
        event.listen(engine, "begin", _sqlite_begin(gate))
        return engine
    engine = create_engine(
        url,
        hide_parameters=True,
        pool_size=5,
        max_overflow=5,
        pool_timeout=5,
        connect_args={"connect_timeout": 3},
        # A firewall or proxy may drop an idle connection without a word (see below): none
        # is kept longer than this.
        pool_recycle=1800,
    )
    event.listen(engine, "checkout", _refuse_spoken_to)
    return engine


def _refuse_spoken_to(dbapi_conn, _record, _proxy) -> None:
    """Pool checkout: a PostgreSQL connection the server has spoken on while idle is dead.

    The server says nothing to an idle connection unless it is going away: a restart or
    `pg_terminate_backend` sends "terminating connection" and closes it. One look at the
    socket (no round trip) finds that; the pool then opens a new connection. pool_pre_ping
    asked the server instead, with a BEGIN and a SELECT 1 on every checkout: 14% of a
    webhook delivery's time in a profile. A server gone without a word (a host lost) is
    found by the statement that fails instead: that request answers 503 and SQLAlchemy
    renews the pool.
    """
    poller = select.poll()  # not select(): no limit on the descriptor's number
    try:
        poller.register(dbapi_conn.pgconn.socket, select.POLLIN)
    except Exception as exc:  # psycopg: the connection is closed or lost
        raise DisconnectionError("the connection is closed") from exc
    if poller.poll(0):  # data, a hang-up or an error: nothing a live idle connection gets
        raise DisconnectionError("the server closed this connection while it was idle")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Session factory bound to engine; sessions do not expire objects on commit."""
    return sessionmaker(engine, expire_on_commit=False)


# Errors after which the same unit of work may succeed later (database down, locked, failing
# over, out of connections); a unit of work that hits one raises DatabaseUnavailable.
TRANSIENT = (OperationalError, InterfaceError, PoolTimeout)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on error, always close.

    A transient database error leaves as `DatabaseUnavailable` (retryable), so callers decide
    on retries from the one error root instead of SQLAlchemy's classes.
    """
    session = factory()
    try:
        yield session
        session.commit()
    except TRANSIENT as exc:
        _rollback_quietly(session)
        raise DatabaseUnavailable(f"database unavailable: {exc.__class__.__name__}") from exc
    except BaseException:
        _rollback_quietly(session)
        raise
    finally:
        session.close()


def _rollback_quietly(session: Session) -> None:
    try:
        session.rollback()
    except TRANSIENT:
        pass  # the connection is gone; closing the session discards it


def run_unit(factory: sessionmaker[Session], work: Callable[[Session], T], attempts: int = 5) -> T:
    """Run work in its own unit of work, waiting out a busy (locked) database a few times.

    For long jobs made of many short transactions (a pull stores a page in chunks): a chunk
    that meets SQLite's write lock held by the webhook waits and tries again instead of
    failing the whole job. The last failure leaves as DatabaseUnavailable.
    """
    for attempt in range(attempts):
        try:
            with session_scope(factory) as session:
                return work(session)
        except DatabaseUnavailable:
            if attempt == attempts - 1:
                raise
            time.sleep(0.5 * 2**attempt)
    raise AssertionError("unreachable")


def transaction_memo(session: Session, name: str) -> dict:
    """A dict for remembering answers during the session's current transaction only.

    For what a unit of work asks again and again and does not change while it runs (the
    parents of an IMP, the recipients): a new transaction starts with an empty one.
    """
    transaction = session.get_transaction()
    if transaction is None:
        return {}  # none begun yet: nothing to tie the answers to, so none are kept
    held = session.info.get(name)
    if held is None or held[0] is not transaction:
        held = session.info[name] = (transaction, {})
    return held[1]


def advisory_lock(session: Session, key: str, *, shared: bool = False) -> None:
    """Serialise transactions that touch the same logical thing (until commit).

    PostgreSQL: a transaction-scoped advisory lock on a hash of key (`shared` ones only keep
    an exclusive holder out). SQLite needs none: every transaction begins IMMEDIATE, holding
    the database's only write lock until it ends.
    """
    if session.get_bind().dialect.name == "postgresql":
        # On the session's connection, not through the ORM's execute: this runs on every
        # webhook delivery, where the ORM's bookkeeping cost more than the round trip.
        session.connection().execute(_LOCK_SHARED if shared else _LOCK, {"k": lock_id(key)})


def advisory_locks(session: Session, keys: Sequence[str]) -> None:
    """advisory_lock() of every key, in keys' order, in one round trip (a whole re-score)."""
    if keys and session.get_bind().dialect.name == "postgresql":
        # unnest yields the array in order and the aggregate takes each lock as the row goes by.
        session.connection().execute(_LOCKS, {"ks": [lock_id(key) for key in keys]})


def scoring_locks(
    session: Session, kind: str, items: Iterable[str], *, whole: bool = False
) -> None:
    """Serialise scorers of one kind ("imp", "family"): each item under a shared hold, or all.

    A unit of work locks the IMPs or families it rewrites (`items`: codes, family keys),
    after a shared hold of the kind. A whole re-score (`whole`: `pantau score`, the periodic
    one) takes the kind's hold alone, exclusively: one lock per IMP-period of a district's
    year (~30,000) had overflowed PostgreSQL's shared lock table (max_locks_per_transaction x
    max_connections, 6,400 by default) and the re-score failed with "out of shared memory".
    Units of work that score that kind wait for the re-score to commit; the other kind and
    intake do not.
    """
    if session.get_bind().dialect.name != "postgresql":
        return  # SQLite: every transaction holds the database's one write lock
    if whole:
        advisory_lock(session, f"scoring:{kind}")
        return
    keys = sorted({f"{kind}:{item}" for item in items})  # one order for every unit of work
    if keys:
        # The hold again with every call, in the items' statement: a savepoint rolled back
        # releases the locks taken in it, so "already held" cannot be remembered. Taking it
        # again costs nothing (a transaction never waits for a lock it holds); the first time
        # it comes before any item, so no one waits for the hold while holding an item.
        ids = [lock_id(f"scoring:{kind}"), *(lock_id(key) for key in keys)]
        session.connection().execute(_HOLD_AND_LOCKS, {"ks": ids})


def lock_id(key: str) -> int:
    """The PostgreSQL advisory lock id (a signed 64-bit number) of key."""
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


_LOCK = text("SELECT pg_advisory_xact_lock(:k)")
_LOCK_SHARED = text("SELECT pg_advisory_xact_lock_shared(:k)")
_LOCKS = text("SELECT count(pg_advisory_xact_lock(k)) FROM unnest(CAST(:ks AS bigint[])) AS t(k)")
# The first id shared (the hold of all scoring), the others exclusive, in the array's order.
_HOLD_AND_LOCKS = text(
    "SELECT count(CASE WHEN t.n = 1 THEN pg_advisory_xact_lock_shared(t.k) "
    "ELSE pg_advisory_xact_lock(t.k) END) "
    "FROM unnest(CAST(:ks AS bigint[])) WITH ORDINALITY AS t(k, n)"
)
