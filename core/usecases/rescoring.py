"""Recompute every score from stored facts (`pantau score …`, the periodic rescoring)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.domain.rules import Rules
from core.domain.scoring import (
    FAMILY_FORM,
    IMP_FORMS,
    FamilyAssessment,
    ImpAssessment,
    period_kind,
    period_months,
    periods_for_month,
)
from core.store import registry, scores
from core.store.db import scoring_locks
from core.store.facts import facts_from_row
from core.store.models import Fact, Submission, utcnow
from core.usecases.assessments import Step
from core.usecases.batch_scoring import (
    collections_paused,
    recompute_imps,
    store_family_assessments,
)
from core.usecases.browse.places import Names
from core.usecases.processing import dispatch_events


@collections_paused()
def score_imps(
    session: Session,
    rules: Rules,
    period: str | None = None,
    wilayah: str | None = None,
    imp: str | None = None,
    progress: Callable[[int, int], None] | None = None,
    as_of: str | None = None,
) -> list[ImpAssessment]:
    """Recompute and return the tiers of every IMP for a period, or for the facts' periods.

    `period` may be a month, quarter or semester (PeriodError otherwise); without it, the
    periods (of the rubric's kind) that the facts of the wilayah are evidence for, up to the
    current month (`as_of`, "YYYY-MM": this month unless given). Every active registered IMP
    of the wilayah gets a tier for each of those periods, with or without reports. `imp`
    keeps one IMP only.
    """
    # Before anything is read: a unit of work scoring meanwhile commits first, or waits.
    scoring_locks(session, "imp", [], whole=True)
    kind = period_kind(period) if period else rules.imp.period_kind
    index = scores.imp_index(session)  # the registry once, not a few queries per IMP-period
    pairs = _evidence_pairs(session, rules, kind, wilayah, index)
    if period is not None:
        pairs = {(code, p) for code, p in pairs if p == period}
    periods = {period} if period else {p for _, p in pairs}
    for code in registry.active_codes(session, wilayah):
        pairs.update((code, p) for p in periods)
    # Profiles project forward up to a year: only score periods that have started.
    current = as_of or utcnow().strftime("%Y-%m")
    todo = [
        (code, p)
        for code, p in sorted(pairs)
        if (imp is None or code == imp) and period_months(p)[0] <= current
    ]
    results = recompute_imps(session, todo, rules, index, progress, whole=True)
    dispatch_events(Step(session, rules))  # a tier that dropped alerts its PKB/PLKB
    return results


def _evidence_pairs(
    session: Session, rules: Rules, kind: str, wilayah: str | None, index: scores.ImpIndex
) -> set[tuple[str, str]]:
    """(IMP, period) pairs that some current fact is evidence for, parents included.

    From the facts' columns, not their answers: a district's year is ~120,000 IMP facts, and
    rebuilding each (as the scoring does anyway, a period at a time) doubled the reading.
    """
    pairs: set[tuple[str, str]] = set()
    parents: dict[str, list[str]] = {}
    periods: dict[tuple[str, str | None], list[str]] = {}  # a few dozen (form, month) pairs
    for imp, form, month in scores.imp_fact_months(session, IMP_FORMS, wilayah):
        if imp not in parents:
            parents[imp] = index.parent_codes(imp)
        if (form, month) not in periods:
            periods[form, month] = periods_for_month(form, month, rules.imp, kind)
        for p in periods[form, month]:
            pairs.add((imp, p))
            pairs.update((parent, p) for parent in parents[imp])
    return pairs


@collections_paused()
def score_families(
    session: Session,
    rules: Rules,
    wilayah: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[dict[str, Any]]:
    """Recompute every current family survey; return each family's latest, with its history.

    `history` lists every survey of the family, oldest first, with each child's z-score, so
    a TPPS can see whether a child's growth is catching up or falling further behind.
    """
    scoring_locks(session, "family", [], whole=True)  # before anything is read
    stmt = (
        select(Fact, Submission)
        .join(Submission, Submission.id == Fact.submission_id)
        .where(Fact.form_id == FAMILY_FORM, Submission.is_latest.is_(True))
        .order_by(Submission.id)
    )
    if wilayah:
        stmt = stmt.where(scores.in_wilayah(Fact.desa_code, wilayah))
    rows = session.execute(stmt).all()
    batch = [(submission, facts_from_row(fact)) for fact, submission in rows]
    scored = store_family_assessments(session, batch, rules, progress, whole=True)
    surveys: dict[str, list[FamilyAssessment]] = {}
    for result in scored:
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


def imp_names(session: Session, codes: Iterable[str]) -> dict[str, tuple[str, str]]:
    """(name, kind) of each registered IMP among codes, for tables people read."""
    return registry.names_and_kinds(session, codes)


def family_places(session: Session, keys: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Desa (code and name), RW and RT of each family among keys, for tables people read."""
    places = scores.family_places(session, keys)
    names = Names(session, [desa for desa, _, _ in places.values()])
    return {
        key: {"desa": desa, "desa_name": names(desa), "rw": rw, "rt": rt}
        for key, (desa, rw, rt) in places.items()
    }
