"""Store scoring results: IMP tiers per period and family risk assessments, with events.

Processing calls `make_downstream()`'s steps for each submission; `pantau score …` recomputes
everything. Both only ever read facts of current (latest, not deleted) submissions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.domain.facts import Facts
from core.domain.scoring import (
    FamilyAssessment,
    ImpAssessment,
    ImpRules,
    KrsRules,
    alert_reasons,
    assess_family,
    assess_imp,
    load_imp_rules,
    load_krs_rules,
    period_months,
    periods_for,
)
from core.store.db import advisory_lock
from core.store.facts import facts_from_row
from core.store.models import (
    DomainEvent,
    Fact,
    Family,
    Institution,
    RiskAssessment,
    Submission,
    TierAssessment,
    utcnow,
)
from core.usecases.processing import Downstream

IMP_FORMS = ("pertemuan_imp", "kie_konseling", "profil_imp", "laporan_bulanan_imp")
FAMILY_FORM = "keluarga_risiko"
_DIRTY = "pantau.dirty_imp_periods"


@dataclass(frozen=True)
class Rules:
    """The rules files in force (read once per process or command)."""

    imp: ImpRules
    krs: KrsRules

    @classmethod
    def load(cls, rules_dir: Any) -> Rules:
        """Read both rules files from rules_dir."""
        return cls(
            imp=load_imp_rules(rules_dir / "imp_rubric.toml"),
            krs=load_krs_rules(rules_dir / "krs.toml"),
        )


# -- IMP tiers ------------------------------------------------------------------------------------


def _child_codes(session: Session, imp: str) -> list[str]:
    parent = session.scalar(select(Institution.id).where(Institution.code == imp))
    if parent is None:
        return []
    return list(session.scalars(select(Institution.code).where(Institution.parent_id == parent)))


def _month_shift(month: str, delta: int) -> str:
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _imp_facts(session: Session, codes: Iterable[str], period: str, rules: Rules) -> list[Facts]:
    # Only what can be evidence for this period: its own months, plus profiles young enough
    # to still count. Reading an IMP's whole history per recompute would grow without bound.
    codes = list(codes)
    if not codes:
        return []  # an empty IN () makes SQLite scan every fact of the period
    months = period_months(period)
    first_profile = _month_shift(months[0], -rules.imp.profile_max_age_months)
    in_period = Fact.period.in_(months)
    profile = (
        (Fact.form_id == "profil_imp")
        & (Fact.period >= first_profile)
        & (Fact.period <= months[-1])
    )
    rows = session.scalars(
        select(Fact)
        .join(Submission, Submission.id == Fact.submission_id)
        .where(
            Fact.imp_code.in_(list(codes)),
            Fact.form_id.in_(IMP_FORMS),
            in_period | profile,
            Submission.is_latest.is_(True),
        )
    )
    return [facts_from_row(r) for r in rows]


def recompute_imp(session: Session, imp: str, period: str, rules: Rules) -> ImpAssessment:
    """Assess one IMP for one period from stored facts; store it and emit a tier-change event."""
    # Two workers scoring the same IMP-period must not each miss the other's new fact: the
    # second waits here until the first commits, then reads both.
    advisory_lock(session, f"imp:{imp}:{period}")
    own = _imp_facts(session, [imp], period, rules)
    children = _imp_facts(session, _child_codes(session, imp), period, rules)
    result = assess_imp(imp, period, own, rules.imp, child_facts=children)
    row = session.scalar(
        select(TierAssessment).where(
            TierAssessment.imp_code == imp, TierAssessment.period == period
        )
    )
    summary = result.to_dict()
    if row is None:
        row = TierAssessment(imp_code=imp, period=period, tier=result.tier)
        session.add(row)
        previous = None
    else:
        previous = row.tier
    row.tier = result.tier
    row.roles = summary["roles"]
    row.explanation = result.explain()
    row.rules_version = result.rules_version
    row.computed_at = utcnow()
    if previous != result.tier:
        desa = session.scalar(select(Institution.desa_code).where(Institution.code == imp))
        session.add(
            DomainEvent(
                kind="imp_tier_changed",
                desa_code=desa,
                payload={"imp": imp, "period": period, "from": previous, "to": result.tier},
            )
        )
    session.flush()
    return result


def _mark_dirty(session: Session, imp: str, periods: Iterable[str]) -> None:
    # A Sub-PPKBD's or Kelompok KB's activity is evidence for its parent IMP too.
    periods = list(periods)
    dirty = session.info.setdefault(_DIRTY, set())
    dirty.update((imp, p) for p in periods)
    for parent in _parent_codes(session, imp):
        dirty.update((parent, p) for p in periods)


def _parent_codes(session: Session, imp: str) -> list[str]:
    parent_id = session.scalar(select(Institution.parent_id).where(Institution.code == imp))
    if parent_id is None:
        return []
    code = session.scalar(select(Institution.code).where(Institution.id == parent_id))
    return [code, *_parent_codes(session, code)] if code else []


def flush_dirty(session: Session, rules: Rules) -> int:
    """Recompute every (IMP, period) touched in this unit of work; return how many."""
    dirty = session.info.pop(_DIRTY, set())
    # A profile counts for up to a year ahead; periods that have not started yet are scored
    # when they do (by the first submission in them, or `pantau score imp`), not now as Dasar.
    current = utcnow().strftime("%Y-%m")
    started = sorted((imp, p) for imp, p in dirty if period_months(p)[0] <= current)
    for imp, period in started:
        recompute_imp(session, imp, period, rules)
    return len(started)


# -- families -------------------------------------------------------------------------------------


def _family_row(session: Session, key: str, facts: Facts) -> Family:
    family = session.scalar(select(Family).where(Family.family_key == key))
    if family is None:
        family = Family(family_key=key, desa_code=facts.get("desa") or "", krs=False)
        session.add(family)
        session.flush()
    return family


def store_family_assessment(
    session: Session, submission: Submission, facts: Facts, rules: Rules, *, emit: bool = True
) -> FamilyAssessment:
    """Assess one keluarga_risiko survey, store it, update the family, emit alert events."""
    key = facts.get("no_kk")  # already the pseudonym (core.domain.privacy)
    advisory_lock(session, f"family:{key}")
    result = assess_family(facts, rules.krs, family=key)
    family = _family_row(session, key, facts)
    # synchronize_session=False: the default re-scans every object in the session per delete,
    # which made a full recompute quadratic in the number of families.
    session.execute(
        delete(RiskAssessment)
        .where(RiskAssessment.submission_id == submission.id)
        .execution_options(synchronize_session=False)
    )
    details = result.to_dict()
    session.add(
        RiskAssessment(
            family_id=family.id,
            submission_id=submission.id,
            surveyed_on=result.survey_date,
            target=result.target,
            krs=result.krs,
            factors=result.factors,
            details=details,
            rules_version=result.rules_version,
        )
    )
    session.flush()
    was_krs = family.krs
    _refresh_family(session, family)
    family.desa_code = facts.get("desa") or family.desa_code
    family.rw, family.rt = facts.get("rw"), facts.get("rt")
    family.last_seen = utcnow()
    reasons = [r.to_dict() for r in alert_reasons(result)]
    if family.krs and not was_krs:
        reasons.append(
            {
                "code": "krs_baru",
                "text_id": "Keluarga baru teridentifikasi berisiko stunting",
                "text_en": "Family newly identified as at risk of stunting",
                "detail": {},
            }
        )
    if reasons and emit:
        session.add(
            DomainEvent(
                kind="family_alert",
                desa_code=family.desa_code,
                payload={"family": key, "submission_id": submission.id, "reasons": reasons},
            )
        )
    return result


def _refresh_family(session: Session, family: Family) -> None:
    # A family's current KRS status is that of its most recent current survey.
    latest = session.scalar(
        select(RiskAssessment)
        .join(Submission, Submission.id == RiskAssessment.submission_id)
        .where(RiskAssessment.family_id == family.id, Submission.is_latest.is_(True))
        .order_by(RiskAssessment.surveyed_on.desc(), RiskAssessment.submission_id.desc())
    )
    family.krs = bool(latest and latest.krs)


# -- wiring into processing -----------------------------------------------------------------------


def make_downstream(rules: Rules) -> Downstream:
    """Processing steps that keep tiers and family assessments current."""

    def on_facts(session: Session, submission: Submission, facts: Facts) -> None:
        if facts.form == FAMILY_FORM:
            store_family_assessment(session, submission, facts, rules)
        elif facts.form in IMP_FORMS and isinstance(facts.get("imp"), str):
            _mark_dirty(session, facts.get("imp"), periods_for(facts, rules.imp))

    def on_retract(session: Session, submission: Submission, fact: Fact) -> None:
        if fact.form_id == FAMILY_FORM:
            old = session.scalar(
                select(RiskAssessment).where(RiskAssessment.submission_id == fact.submission_id)
            )
            if old is not None:
                family = session.get(Family, old.family_id)
                session.delete(old)
                session.flush()
                _refresh_family(session, family)
        elif fact.form_id in IMP_FORMS and fact.imp_code:
            _mark_dirty(session, fact.imp_code, periods_for(facts_from_row(fact), rules.imp))

    return Downstream(
        on_facts=[on_facts],
        on_retract=[on_retract],
        finish=[lambda session: flush_dirty(session, rules)],
    )


# -- full recomputation ---------------------------------------------------------------------------


def score_imps(
    session: Session, rules: Rules, period: str | None = None, wilayah: str | None = None
) -> list[ImpAssessment]:
    """Recompute tiers of every IMP (optionally one period, one wilayah prefix) from facts."""
    stmt = (
        select(Fact)
        .join(Submission, Submission.id == Fact.submission_id)
        .where(
            Fact.form_id.in_(IMP_FORMS), Submission.is_latest.is_(True), Fact.imp_code.is_not(None)
        )
    )
    if wilayah:
        stmt = stmt.where(_in_wilayah(Fact.desa_code, wilayah))
    pairs: set[tuple[str, str]] = set()
    parents: dict[str, list[str]] = {}
    for row in session.scalars(stmt):
        if row.imp_code not in parents:
            parents[row.imp_code] = _parent_codes(session, row.imp_code)
        for p in periods_for(facts_from_row(row), rules.imp):
            if period is None or p == period:
                pairs.add((row.imp_code, p))
                pairs.update((parent, p) for parent in parents[row.imp_code])
    # Profiles project forward up to a year: only score periods that have started.
    current = utcnow().strftime("%Y-%m")
    return [
        recompute_imp(session, imp, p, rules)
        for imp, p in sorted(pairs)
        if period_months(p)[0] <= current
    ]


def _in_wilayah(column, wilayah: str):  # noqa: ANN001, ANN202
    # "32.77" means Kota Cimahi and everything in it, never 32.770… (codes are dotted).
    code = wilayah.rstrip(".")
    return (column == code) | column.startswith(code + ".")


def score_families(
    session: Session, rules: Rules, wilayah: str | None = None
) -> list[dict[str, Any]]:
    """Recompute every current family survey; return each family's latest, with its history.

    `history` lists every survey of the family, oldest first, with each child's z-score, so
    a TPPS can see whether a child's growth is catching up or falling further behind.
    """
    stmt = (
        select(Fact, Submission)
        .join(Submission, Submission.id == Fact.submission_id)
        .where(Fact.form_id == FAMILY_FORM, Submission.is_latest.is_(True))
        .order_by(Submission.id)
    )
    if wilayah:
        stmt = stmt.where(_in_wilayah(Fact.desa_code, wilayah))
    surveys: dict[str, list[FamilyAssessment]] = {}
    for fact, submission in session.execute(stmt).all():
        result = store_family_assessment(
            session, submission, facts_from_row(fact), rules, emit=False
        )
        surveys.setdefault(result.family, []).append(result)
    out = []
    for results in surveys.values():
        results.sort(key=lambda a: (a.survey_date or utcnow().date(), a.submission_id))
        latest = results[-1].to_dict()
        latest["history"] = [
            {
                "survey_date": a.to_dict()["survey_date"],
                "krs": a.krs,
                "children": [
                    {
                        "sex": c.sex,
                        "born_on": c.born_on.isoformat() if c.born_on else None,
                        "age_days": c.age_days,
                        "haz": c.haz,
                        "category": c.category,
                    }
                    for c in a.children
                ],
            }
            for a in results
        ]
        out.append(latest)
    return out
