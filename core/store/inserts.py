"""New versions of submissions in one statement each: the webhook's hot path.

Kept apart from the other submission queries because these statements are built once per
dialect and their parameters must match the columns exactly (see INSERT_COLUMNS).
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Insert, String, bindparam, cast, exists, literal_column, or_, select, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from core.store.models import PseudonymKeyCheck, Submission
from core.store.pipeline import pipelined

# Columns ingest() writes for a new version, in the order of the prepared INSERT.
INSERT_COLUMNS = (
    "instance_id",
    "root_id",
    "deprecated_id",
    "record_id",
    "server",
    "source",
    "asset_uid",
    "form_id",
    "form_version_id",
    "server_version",
    "version_known",
    "raw",
    "submitted_at",
    "received_at",
    "status",
    "is_latest",
    "process_count",
)


def _insert_values(dialect: str) -> list[Any]:
    table = Submission.__table__
    # PostgreSQL types an untyped parameter in a SELECT list as text (a jsonb or boolean
    # column then refuses it): cast each to its column's type, strings to VARCHAR without
    # its length, because an explicit CAST to VARCHAR(80) cuts a longer value silently where
    # the INSERT itself refuses it. SQLite needs no cast (and its CAST to DATETIME would turn
    # a timestamp into a number).
    if dialect != "postgresql":
        return [bindparam(c, type_=table.c[c].type) for c in INSERT_COLUMNS]
    return [
        cast(bindparam(c, type_=table.c[c].type), _unbounded(table.c[c].type))
        for c in INSERT_COLUMNS
    ]


def _unbounded(type_: Any) -> Any:
    return String() if isinstance(type_, String) else type_


def _others_exist() -> Any:
    """Maybe another version of the record of the row being inserted (by parameters).

    Two EXISTS, each on its own index (see versions_of); "maybe": a row of another form with
    the same root id counts too, and the caller then settles the chain, which is exact.
    """
    by_root, by_id = aliased(Submission), aliased(Submission)
    return or_(
        exists().where(
            by_root.root_id == bindparam("root_id"),
            by_root.instance_id != bindparam("instance_id"),
        ),
        exists().where(
            by_id.server == bindparam("server"),
            by_id.asset_uid == bindparam("asset_uid"),
            by_id.record_id == bindparam("record_id"),
            by_id.instance_id != bindparam("instance_id"),
        ),
    )


@lru_cache(maxsize=4)
def insert_statement(dialect: str, checked: bool = False) -> Insert:
    """`INSERT … ON CONFLICT (instance_id) DO NOTHING RETURNING id`, built once per dialect.

    Building the statement per submission cost more than running it. `checked`: the row is
    inserted only while the stored pseudonym key check value is the `fingerprint` parameter,
    and RETURNING also says whether another version of the record is stored (`others`), so
    a new record needs no other statement (see insert_checked).
    """
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = Submission.__table__
    if not checked:
        stmt = insert(table).values(
            {c: bindparam(c, type_=table.c[c].type) for c in INSERT_COLUMNS}
        )
        return stmt.on_conflict_do_nothing(index_elements=[table.c.instance_id]).returning(
            table.c.id
        )
    keys_match = exists().where(
        PseudonymKeyCheck.id == 1, PseudonymKeyCheck.fingerprint == bindparam("fingerprint")
    )
    rows = select(*_insert_values(dialect)).where(keys_match)
    return (
        insert(table)
        .from_select(list(INSERT_COLUMNS), rows)
        .on_conflict_do_nothing(index_elements=[table.c.instance_id])
        .returning(table.c.id, _others_exist().label("others"))
    )


def insert_version(session: Session, params: dict[str, Any]) -> int | None:
    """Insert a new version; its id, or None when this instance id is already stored."""
    stmt = insert_statement(session.get_bind().dialect.name)
    return session.connection().execute(stmt, params).scalar_one_or_none()


def insert_checked(
    session: Session, params: dict[str, Any], fingerprint: str, lock: int | None = None
) -> tuple[int, bool] | None:
    """Insert a new version in one statement if the keys match; (id, other versions stored).

    None when nothing was inserted: the instance id is already stored, the stored key check
    value is another (or none yet); the caller tells these apart the slow way. The check
    value is read by the INSERT itself, so a rotation cannot slip in between: on PostgreSQL
    the rotation holds an EXCLUSIVE lock on submissions, which the INSERT waits for before
    it takes its snapshot; on SQLite every write transaction is the only one.

    `lock`: an advisory lock id (the record's) to take first, until commit. PostgreSQL gets
    both statements, and the BEGIN before them, in one round trip (see pipelined).
    """
    values = {**params, "fingerprint": fingerprint}
    dialect = session.get_bind().dialect.name
    stmt = insert_statement(dialect, checked=True)
    if dialect == "postgresql" and lock is not None:
        row = pipelined(session, lock, stmt, values)
    else:  # SQLite takes no record locks: a write transaction holds its only write lock
        row = session.connection().execute(stmt, values).first()
    return None if row is None else (row[0], bool(row[1]))


def insert_many(
    session: Session, rows: list[dict[str, Any]], raw_texts: list[str | None] | None = None
) -> dict[str, tuple[int, bool]]:
    """Insert new records' first versions together; {instance id: (id, maybe other versions)}.

    An instance id already stored is left alone and missing from the answer. The caller holds
    the pseudonym key check (check_key) and the records' locks, and sends no two rows of one
    record: unlike insert_checked, this reads neither the key check nor the other rows sent.
    "Maybe": a stored row with the same root id under another asset counts too (root ids are
    UUIDs: never, in practice); the caller settles such a record's chain, which is exact.
    `raw_texts`: each row's `raw` already as JSON (or None), so it is not serialised again.
    """
    if not rows:
        return {}
    if session.get_bind().dialect.name == "postgresql":
        # The whole chunk as one jsonb parameter: a short statement PostgreSQL unpacks in C.
        # A multi-row VALUES of 17 placeholders a row cost more in psycopg's parsing of the
        # query text than the insert took on the server.
        body = _pg_rows(rows, raw_texts or [None] * len(rows))
        result = session.connection().execute(_PG_INSERT_MANY, {"rows": body})
    else:
        # SQLAlchemy's "insertmanyvalues": multi-row INSERTs; SQLite has no round trips anyway.
        result = session.connection().execute(_sqlite_insert_many(), rows)
    return {instance: (id_, bool(others)) for instance, id_, others in result}


# Whether another version of an inserted row's record is stored, looked up by one value at a
# time, each on its own index (root_id; server, asset_uid, record_id). Asked for many values
# at once (= ANY, IN) or with one OR, PostgreSQL without statistics (a fresh table early in a
# backfill) read every row of the asset for each page.
_OTHERS = (
    "EXISTS (SELECT 1 FROM submissions o WHERE o.root_id = submissions.root_id"
    " AND o.instance_id <> submissions.instance_id)"
    " OR EXISTS (SELECT 1 FROM submissions o WHERE o.server = submissions.server"
    " AND o.asset_uid = submissions.asset_uid AND o.record_id = submissions.record_id"
    " AND o.instance_id <> submissions.instance_id)"
)


@lru_cache(maxsize=1)
def _sqlite_insert_many() -> Insert:
    table = Submission.__table__
    stmt = sqlite_insert(table).values(
        {c: bindparam(c, type_=table.c[c].type) for c in INSERT_COLUMNS}
    )
    return stmt.on_conflict_do_nothing(index_elements=[table.c.instance_id]).returning(
        table.c.instance_id, table.c.id, literal_column(_OTHERS)
    )


def _pg_rows(rows: list[dict[str, Any]], raw_texts: list[str | None]) -> str:
    """The rows as one JSON array, each raw JSON text spliced in as it is."""
    parts = []
    for row, raw in zip(rows, raw_texts, strict=True):
        if raw is None:
            parts.append(json.dumps(row, default=_json_value, ensure_ascii=False))
        else:
            rest = {k: v for k, v in row.items() if k != "raw"}
            rest_json = json.dumps(rest, default=_json_value, ensure_ascii=False)
            parts.append('{"raw": ' + raw + ", " + rest_json[1:])  # rest_json: "{...}"
    return "[" + ", ".join(parts) + "]"


def _json_value(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a column value")


def _pg_record_type() -> str:
    table = Submission.__table__
    dialect = postgresql.dialect()
    return ", ".join(f"{c} {table.c[c].type.compile(dialect=dialect)}" for c in INSERT_COLUMNS)


_COLUMNS = ", ".join(INSERT_COLUMNS)
# The statement's text holds only our own column names and types: nothing from a request.
_PG_INSERT_MANY = text(
    f"INSERT INTO submissions ({_COLUMNS}) SELECT {_COLUMNS} "  # noqa: S608  # nosec B608
    f"FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r({_pg_record_type()}) "
    f"ON CONFLICT (instance_id) DO NOTHING RETURNING instance_id, id, {_OTHERS}"
)
