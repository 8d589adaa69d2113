"""What `pantau demo` prints at the end: stored IMP tiers and surveyed families per desa."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.store.models import (
    Family,
    Institution,
    RiskAssessment,
    Submission,
    TierAssessment,
    Wilayah,
)
from demo import DEMO_PREFIX


@dataclass(frozen=True)
class TierRow:
    """One IMP's stored tier for a period."""

    imp: str
    name: str
    kind: str
    tier: str


@dataclass(frozen=True)
class DesaFamilies:
    """Surveyed families of one desa: how many, how many at risk, children stunted."""

    desa: str
    name: str
    families: int
    krs: int
    stunted_children: int


def stored_tiers(session: Session, period: str, prefix: str = DEMO_PREFIX) -> list[TierRow]:
    """Stored tiers of the period for IMPs under prefix, PPKBD first, by code."""
    rows = session.execute(
        select(TierAssessment.imp_code, TierAssessment.tier, Institution.name, Institution.kind)
        .join(Institution, Institution.code == TierAssessment.imp_code)
        .where(
            TierAssessment.period == period,
            Institution.desa_code.startswith(prefix.rstrip(".") + "."),
        )
    ).all()
    order = {"ppkbd": 0, "sub_ppkbd": 1, "kelompok_kb": 2}
    tiers = [TierRow(code, name, kind, tier) for code, tier, name, kind in rows]
    return sorted(tiers, key=lambda t: (order.get(t.kind, 9), t.imp))


def families_by_desa(
    session: Session, prefix: str = DEMO_PREFIX, desa: Iterable[str] | None = None
) -> list[DesaFamilies]:
    """Families per desa under prefix, KRS counted from each family's current status."""
    stmt = (
        select(Family, Wilayah.name)
        .join(Wilayah, Wilayah.code == Family.desa_code, isouter=True)
        .where(Family.desa_code.startswith(prefix.rstrip(".") + "."))
    )
    if desa is not None:
        stmt = stmt.where(Family.desa_code.in_(list(desa)))
    found: dict[str, dict[str, Any]] = {}
    for family, name in session.execute(stmt).all():
        row = found.setdefault(
            family.desa_code, {"name": name or "", "families": 0, "krs": 0, "stunted": 0}
        )
        row["families"] += 1
        row["krs"] += int(family.krs)
        latest = session.scalar(
            select(RiskAssessment)
            .join(Submission, Submission.id == RiskAssessment.submission_id)
            .where(RiskAssessment.family_id == family.id, Submission.is_latest.is_(True))
            .order_by(RiskAssessment.surveyed_on.desc(), RiskAssessment.submission_id.desc())
        )
        children = (latest.details or {}).get("children", []) if latest else []
        row["stunted"] += sum(
            1 for c in children if c.get("category") in ("pendek", "sangat_pendek")
        )
    return [
        DesaFamilies(code, r["name"], r["families"], r["krs"], r["stunted"])
        for code, r in sorted(found.items())
    ]
