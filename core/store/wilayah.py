"""The wilayah table: upserting Kemendagri regions, counting them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Insert, bindparam, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.store.models import Wilayah


def upsert_statement(dialect: str) -> Insert:
    """One reusable `INSERT … ON CONFLICT (code) DO UPDATE` for region rows."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(Wilayah).values(
        code=bindparam("code"),
        name=bindparam("name"),
        level=bindparam("level"),
        kind=bindparam("kind"),
        parent_code=bindparam("parent_code"),
    )
    return stmt.on_conflict_do_update(
        index_elements=[Wilayah.code],
        set_={
            "name": stmt.excluded.name,
            "level": stmt.excluded.level,
            "kind": stmt.excluded.kind,
            "parent_code": stmt.excluded.parent_code,
        },
    )


def write_regions(session: Session, stmt: Insert, rows: list[dict[str, Any]]) -> None:
    """Upsert a batch of region rows with a statement from upsert_statement()."""
    session.connection().execute(stmt, rows)


def count_wilayah(session: Session, level: int | None = None) -> int:
    """How many regions are loaded (optionally of one level)."""
    stmt = select(func.count()).select_from(Wilayah)
    if level is not None:
        stmt = stmt.where(Wilayah.level == level)
    return session.execute(stmt).scalar_one()
