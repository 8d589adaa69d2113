"""A record's advisory lock and its INSERT in one round trip to PostgreSQL (psycopg pipeline).

Every webhook delivery locks its record, then inserts it: with the BEGIN psycopg sends before
the first statement, three round trips before the COMMIT, each a wake-up of both the web
process and its PostgreSQL backend. In pipeline mode psycopg sends BEGIN, the lock and the
INSERT together and reads the three answers after one sync. They are still three
statements: the INSERT takes its snapshot after the lock is granted, so it sees a version of
the record that another transaction committed while this one waited for the lock (one
statement taking the lock itself could not).

SQLAlchemy has no pipeline mode, so the two statements go to the session's psycopg
connection directly: compiled by SQLAlchemy for it, with the types' bind processors applied
(the JSONB wrapping), and a psycopg error comes back as the SQLAlchemy error the callers
handle (DataError for a value the database refuses, OperationalError for a lost connection,
which renews the pool as SQLAlchemy's own error handling does). When a savepoint (the pull's
replay and sweep paths) or an earlier query already began the transaction, only the lock
and the INSERT share the round trip.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

import psycopg
from sqlalchemy import Insert
from sqlalchemy.engine import Compiled, Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

_LOCK_SQL = "SELECT pg_advisory_xact_lock(%s)"


@lru_cache(maxsize=4)
def _compiled(stmt: Insert, dialect: Dialect) -> tuple[Compiled, dict[str, Callable[[Any], Any]]]:
    """The statement compiled for dialect, and the bind processors SQLAlchemy would apply."""
    compiled = stmt.compile(dialect=dialect)
    processors = {}
    for name, bind in compiled.binds.items():
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            processors[name] = process
    return compiled, processors


def pipelined(session: Session, lock: int, stmt: Insert, values: dict[str, Any]) -> Any:
    """Take advisory lock `lock`, then run stmt with values; its first row (or None)."""
    conn = session.connection()
    compiled, processors = _compiled(stmt, conn.dialect)
    params = compiled.construct_params(values)
    for name, process in processors.items():
        if name in params:
            params[name] = process(params[name])
    fairy = conn.connection
    dbapi = fairy.driver_connection
    try:
        with dbapi.pipeline():
            dbapi.cursor().execute(_LOCK_SQL, (lock,))
            cursor = dbapi.cursor()
            cursor.execute(compiled.string, params)
        return cursor.fetchone()
    except psycopg.Error as exc:
        lost = conn.dialect.is_disconnect(exc, dbapi, None)
        if lost:
            # What SQLAlchemy does on a disconnect: every connection of the pool opened
            # before it is replaced at its next checkout (a failover or a host gone leaves
            # them all dead), then this one is dropped.
            conn.engine.pool._invalidate(fairy, exc)
            conn.invalidate(exc)
        # The statement only, never its parameters (a submission's answers).
        raise DBAPIError.instance(
            compiled.string,
            None,
            exc,
            psycopg.Error,
            hide_parameters=True,
            connection_invalidated=lost,
            dialect=conn.dialect,
        ) from None
