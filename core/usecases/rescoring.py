"""Recompute every score from stored facts (`pantau score …`, the periodic rescoring)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.domain.rules import Rules
from core.domain.scoring import (
    FAMILY_FORM,
    IMP_FORMS,
    FamilyAssessment,
    ImpAssessment,
    period_months,
    periods_for,
)
from core.store import scores
from core.store.facts import facts_from_row
from core.store.models import Fact, Submission, utcnow
from core.usecases.assessments import recompute_imp, store_family_assessment


def score_imps(
    session: Session, rules: Rules, period: str | None = None, wilayah: str | None = None
) -> list[ImpAssessment]:
    """Recompute tiers of every IMP (optionally one period, one wilayah prefix) from facts."""
    stmt = scores.current_facts(IMP_FORMS).where(Fact.imp_code.is_not(None))
    if wilayah:
        stmt = stmt.where(scores.in_wilayah(Fact.desa_code, wilayah))
    pairs: set[tuple[str, str]] = set()
    parents: dict[str, list[str]] = {}
    for row in session.scalars(stmt):
        if row.imp_code not in parents:
            parents[row.imp_code] = scores.parent_codes(session, row.imp_code)
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
        stmt = stmt.where(scores.in_wilayah(Fact.desa_code, wilayah))
    surveys: dict[str, list[FamilyAssessment]] = {}
    for fact, submission in session.execute(stmt).all():
        result = store_family_assessment(
            session, submission, facts_from_row(fact), rules, emit=False
        )
        surveys.setdefault(result.family, []).append(result)
    return [_with_history(results) for results in surveys.values()]


def _with_history(results: list[FamilyAssessment]) -> dict[str, Any]:
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
                    "flag": c.flag,
                }
                for c in a.children
            ],
        }
        for a in results
    ]
    return latest
