"""The stored IMP tiers: which exist for a period, and writing many in one statement each."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any, NamedTuple

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from core.store.models import TierAssessment


class StoredTier(NamedTuple):
    """What a re-score needs of a stored tier: its row to update, the tier it replaces."""

    id: int
    tier: str


def tiers_of_period(
    session: Session, period: str, codes: Collection[str] | None = None
) -> dict[str, StoredTier]:
    """The stored tiers of every IMP (or of `codes`) for one period, per IMP code.

    Neither JSON column is read: a re-score replaces both, and decoding every explanation
    only to throw it away was most of the read.
    """
    stmt = select(TierAssessment.imp_code, TierAssessment.id, TierAssessment.tier).where(
        TierAssessment.period == period
    )
    if codes is not None:
        stmt = stmt.where(TierAssessment.imp_code.in_(list(codes)))
    return {code: StoredTier(row_id, tier) for code, row_id, tier in session.execute(stmt)}


def write_tiers(
    session: Session, new: Sequence[dict[str, Any]], changed: Sequence[dict[str, Any]]
) -> None:
    """Insert the new tiers' rows and update the changed ones (each dict names its "id").

    One executemany each: through the ORM's unit of work, every row cost its bookkeeping and
    the insert its RETURNING: 16-20 s of a district's year, now 5-7 s.
    """
    if new:
        session.execute(insert(TierAssessment), list(new))
    if changed:
        session.execute(update(TierAssessment), list(changed))
