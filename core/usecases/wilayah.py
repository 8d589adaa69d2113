"""Load Kemendagri regions into the database (`pantau wilayah load`)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from core.domain.wilayah import UnknownWilayah, iter_wilayah
from core.store.wilayah import count_wilayah, upsert_statement, write_regions

__all__ = ["UnknownWilayah", "count_wilayah", "iter_wilayah", "load_wilayah"]

BATCH = 5000


def load_wilayah(
    session: Session,
    prefix: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Upsert the regions under prefix into the wilayah table; return how many rows were written."""
    # One statement, executed with many parameter sets: a multi-row VALUES built per batch
    # spent most of its time being compiled.
    stmt = upsert_statement(session.get_bind().dialect.name)
    total = 0
    batch: list[dict] = []
    for row in iter_wilayah(prefix):
        batch.append(row)
        if len(batch) >= BATCH:
            write_regions(session, stmt, batch)
            total += len(batch)
            batch = []
            if progress:
                progress(total)
    if batch:
        write_regions(session, stmt, batch)
        total += len(batch)
        if progress:
            progress(total)
    return total
