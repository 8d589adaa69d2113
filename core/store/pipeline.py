"""A record's advisory lock and its INSERT in one round trip to PostgreSQL (psycopg pipeline).

Every webhook delivery locks its record, then inserts it: with the BEGIN psycopg sends before
the first statement, three round trips before the COMMIT, each a wake-up of both the web
process and its PostgreSQL backend. In pipeline mode psycopg sends BEGIN, the lock and the
INSERT together and reads the three answers after one sync. They are still three
statements: the INSERT takes its snapshot after the lock is granted, so it sees a version of
the record that another transaction committed while this one waited for the lock (one
statement taking the lock itself could not).

SQLAlchemy has no pipeline mode, so the two statements go to the session's psycopg
connection directly: compiled by SQLAlchemy for psycopg, with its JSONB binding, and a
psycopg error comes back as the SQLAlchemy error the callers handle (DataError for a value
the database refuses, OperationalError for a lost connection, which is invalidated).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import psycopg
from psycopg.types.json import Jsonb
from sqlalchemy import Insert
from sqlalchemy.dialects.postgresql import psycopg as pg_psycopg
from sqlalchemy.engine import Compiled
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

_LOCK_SQL = "SELECT pg_advisory_xact_lock(%s)"


@lru_cache(maxsize=4)
def _compiled(stmt: Insert) -> Compiled:
    return stmt.compile(dialect=pg_psycopg.dialect())


def pipelined(session: Session, lock: int, stmt: Insert, values: dict[str, Any]) -> Any:
    """Take advisory lock `lock`, then run stmt with values; its first row (or None)."""
    compiled = _compiled(stmt)
    params = compiled.construct_params(values)
    params["raw"] = Jsonb(params["raw"])  # what SQLAlchemy's JSONB binding for psycopg does
    conn = session.connection()
    dbapi = conn.connection.driver_connection
    try:
        with dbapi.pipeline():
            dbapi.cursor().execute(_LOCK_SQL, (lock,))
            cursor = dbapi.cursor()
            cursor.execute(compiled.string, params)
        return cursor.fetchone()
    except psycopg.Error as exc:
        # The statement only, never its parameters (a submission's answers).
        lost = conn.dialect.is_disconnect(exc, dbapi, None)
        if lost:
            conn.invalidate(exc)
        raise DBAPIError.instance(
            compiled.string,
            None,
            exc,
            psycopg.Error,
            hide_parameters=True,
            connection_invalidated=lost,
            dialect=conn.dialect,
        ) from None
