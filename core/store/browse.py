"""What the web reads, always through a user's Scope: wilayah, IMPs and tiers, families, alerts.

Every function here takes the scope as a required keyword and filters with `scoped()`, so a
route cannot read a row outside its user's wilayah by forgetting a filter. Lists are keyset
pages: stable order, `after` the last key of the previous page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import ColumnElement, String, case, func, select, tuple_, type_coerce
from sqlalchemy.orm import Session

from core.domain.access import Scope
from core.store.models import (
    Alert,
    Family,
    Institution,
    RiskAssessment,
    Submission,
    TierAssessment,
    Wilayah,
)
from core.store.scoping import scoped

# -- wilayah ------------------------------------------------------------------------------------


def wilayah_page(
    session: Session,
    *,
    scope: Scope,
    after: str | None,
    limit: int,
    parent: str | None = None,
    level: int | None = None,
) -> list[Wilayah]:
    """Loaded regions inside scope, by code."""
    stmt = select(Wilayah).where(scoped(Wilayah.code, scope)).order_by(Wilayah.code).limit(limit)
    if after:
        stmt = stmt.where(Wilayah.code > after)
    if parent:
        stmt = stmt.where(Wilayah.parent_code == parent)
    if level:
        stmt = stmt.where(Wilayah.level == level)
    return list(session.scalars(stmt))


def wilayah_get(session: Session, code: str, *, scope: Scope) -> Wilayah | None:
    """One loaded region, if inside scope."""
    return session.scalar(select(Wilayah).where(Wilayah.code == code, scoped(Wilayah.code, scope)))


def wilayah_names(session: Session, codes: Iterable[str]) -> dict[str, str]:
    """Names of loaded regions by code (public Kemendagri data, so not scoped)."""
    codes = sorted(set(codes))
    if not codes:
        return {}
    rows = session.execute(select(Wilayah.code, Wilayah.name).where(Wilayah.code.in_(codes)))
    return dict(rows.all())


# -- IMPs and tiers -----------------------------------------------------------------------------


def imps_page(
    session: Session,
    *,
    scope: Scope,
    after: str | None,
    limit: int,
    kind: str | None = None,
    active: bool | None = True,
) -> list[Institution]:
    """Registered IMPs inside scope, by code."""
    stmt = (
        select(Institution)
        .where(scoped(Institution.desa_code, scope))
        .order_by(Institution.code)
        .limit(limit)
    )
    if after:
        stmt = stmt.where(Institution.code > after)
    if kind:
        stmt = stmt.where(Institution.kind == kind)
    if active is not None:
        stmt = stmt.where(Institution.active.is_(active))
    return list(session.scalars(stmt))


def imp_get(session: Session, code: str, *, scope: Scope) -> Institution | None:
    """One registered IMP, if its desa is inside scope."""
    return session.scalar(
        select(Institution).where(Institution.code == code, scoped(Institution.desa_code, scope))
    )


def imp_codes(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    """IMP codes by id (for naming parents)."""
    ids = [i for i in set(ids) if i is not None]
    if not ids:
        return {}
    rows = session.execute(select(Institution.id, Institution.code).where(Institution.id.in_(ids)))
    return dict(rows.all())


def period_order(period: Any) -> ColumnElement[str]:
    """A text that sorts periods (2026-10, 2026-Q4, 2026-S1) by the month they end in.

    As plain text "2026-S1" (January to June) sorts after "2026-12": the latest period of an
    IMP scored by month and by semester was the semester, hiding the months after it. Of
    periods ending in the same month, the month comes last (the most recent evidence), then
    the quarter: `2026` + end month + rank.
    """
    kind, n = func.substr(period, 6, 1), func.substr(period, 7, 1)
    end = case(
        (kind == "Q", case((n == "1", "03"), (n == "2", "06"), (n == "3", "09"), else_="12")),
        (kind == "S", case((n == "1", "06"), else_="12")),
        else_=func.substr(period, 6, 2),
    )
    rank = case((kind == "S", "1"), (kind == "Q", "2"), else_="3")
    return type_coerce(func.substr(period, 1, 4), String) + end + rank


def tiers_of(session: Session, codes: Sequence[str]) -> dict[str, list[TierAssessment]]:
    """Every stored tier of these IMPs, oldest period first (by the month it ends in)."""
    out: dict[str, list[TierAssessment]] = {c: [] for c in codes}
    if not codes:
        return out
    stmt = (
        select(TierAssessment)
        .where(TierAssessment.imp_code.in_(list(codes)))
        .order_by(TierAssessment.imp_code, period_order(TierAssessment.period))
    )
    for row in session.scalars(stmt):
        out[row.imp_code].append(row)
    return out


def current_tiers(session: Session, *, scope: Scope) -> list[tuple[str, str, str | None]]:
    """(code, desa, tier of its latest period or None) of every active IMP inside scope."""
    latest = (
        select(TierAssessment.imp_code, func.max(period_order(TierAssessment.period)).label("key"))
        .group_by(TierAssessment.imp_code)
        .subquery()
    )
    stmt = (
        select(Institution.code, Institution.desa_code, TierAssessment.tier)
        .outerjoin(latest, latest.c.imp_code == Institution.code)
        .outerjoin(
            TierAssessment,
            (TierAssessment.imp_code == Institution.code)
            & (period_order(TierAssessment.period) == latest.c.key),
        )
        .where(Institution.active.is_(True), scoped(Institution.desa_code, scope))
        .order_by(Institution.code)
    )
    return [tuple(r) for r in session.execute(stmt).all()]


# -- families -----------------------------------------------------------------------------------


def families_chunk(
    session: Session,
    *,
    scope: Scope,
    after: tuple[str, str] | None,
    limit: int,
    krs: bool | None = True,
) -> list[Family]:
    """Families inside scope (a role that sees no families gets none), by desa then key."""
    stmt = (
        select(Family)
        .where(scoped(Family.desa_code, scope.for_families()))
        .order_by(Family.desa_code, Family.family_key)
        .limit(limit)
    )
    if after:
        stmt = stmt.where(tuple_(Family.desa_code, Family.family_key) > tuple_(*after))
    if krs is not None:
        stmt = stmt.where(Family.krs.is_(krs))
    return list(session.scalars(stmt))


def family_get(session: Session, key: str, *, scope: Scope) -> Family | None:
    """One family by its pseudonymous key, if inside scope."""
    return session.scalar(
        select(Family).where(
            Family.family_key == key, scoped(Family.desa_code, scope.for_families())
        )
    )


def _current_assessments(family_ids: Sequence[int]) -> Any:
    return (
        select(RiskAssessment)
        .join(Submission, Submission.id == RiskAssessment.submission_id)
        .where(RiskAssessment.family_id.in_(list(family_ids)), Submission.is_latest.is_(True))
        .order_by(RiskAssessment.surveyed_on, RiskAssessment.submission_id)
    )


def assessments_of(session: Session, family_ids: Sequence[int]) -> dict[int, list[RiskAssessment]]:
    """Every current survey of these families, oldest first."""
    out: dict[int, list[RiskAssessment]] = {i: [] for i in family_ids}
    if family_ids:
        for row in session.scalars(_current_assessments(family_ids)):
            out[row.family_id].append(row)
    return out


def krs_families(session: Session, *, scope: Scope) -> list[tuple[Family, RiskAssessment]]:
    """Every KRS family inside scope with its latest current survey."""
    families = list(
        session.scalars(
            select(Family).where(
                Family.krs.is_(True), scoped(Family.desa_code, scope.for_families())
            )
        )
    )
    surveys = assessments_of(session, [f.id for f in families])
    return [(f, surveys[f.id][-1]) for f in families if surveys[f.id]]


# -- alerts -------------------------------------------------------------------------------------


def alert_scope(scope: Scope) -> ColumnElement[bool]:
    """Alerts inside scope; a role that sees no families sees only alerts about IMPs."""
    where = scoped(Alert.desa_code, scope)
    return where if scope.families else where & Alert.imp_code.is_not(None)


def alerts_page(
    session: Session,
    *,
    scope: Scope,
    before: int | None,
    limit: int,
    filters: dict[str, Any],
) -> list[Alert]:
    """Alerts inside scope, newest first (by id), filtered by status, referral, kind, family."""
    stmt = select(Alert).where(alert_scope(scope)).order_by(Alert.id.desc()).limit(limit)
    if before:
        stmt = stmt.where(Alert.id < before)
    for name in ("status", "kind", "family_id", "urgent"):
        if filters.get(name) is not None:
            stmt = stmt.where(getattr(Alert, name) == filters[name])
    referral = filters.get("referral")
    if referral == "none":
        stmt = stmt.where(Alert.referral.is_(None))
    elif referral:
        stmt = stmt.where(Alert.referral == referral)
    return list(session.scalars(stmt))


def alert_get(session: Session, alert_id: int, *, scope: Scope) -> Alert | None:
    """One alert, if inside scope."""
    return session.scalar(select(Alert).where(Alert.id == alert_id, alert_scope(scope)))


def open_alert_counts(session: Session, *, scope: Scope) -> dict[str, int]:
    """Open alerts inside scope by desa."""
    rows = session.execute(
        select(Alert.desa_code, func.count())
        .where(alert_scope(scope), Alert.status == "open")
        .group_by(Alert.desa_code)
    )
    return dict(rows.all())
