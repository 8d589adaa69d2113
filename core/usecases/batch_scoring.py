"""Scoring many at once: IMP tiers (a unit of work's, or a whole re-score's), family surveys.

One at a time, each IMP-period or family survey cost several round trips; over Kota Cimahi
that was ~70,000 statements and most of the time. These read the registry, a period's facts,
its tiers and the families once, and write in a few statements. A family survey stores
exactly what store_family_assessment stores (same rows, same order).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any

from sqlalchemy.orm import Session

from core.domain.facts import MISSING, Facts, FactsError
from core.domain.rules import Rules
from core.domain.scoring import (
    IMP_FORMS,
    PROFILE_FORM,
    FamilyAssessment,
    ImpAssessment,
    assess_family,
    assess_imp,
    month_shift,
    period_months,
)
from core.store import scores, tiers
from core.store.db import scoring_locks
from core.store.facts import facts_from_row
from core.store.models import Family, RiskAssessment, Submission, utcnow
from core.usecases.assessments import TOUCHED, Step, set_place

Progress = Callable[[int, int], None] | None


@contextmanager
def collections_paused() -> Iterator[None]:
    """Run a whole re-score without the cyclic garbage collector, and turn it back on after.

    A district's year keeps ~30,000 assessments and their rows alive until the end, and every
    full collection walks all of them: measured on a year of Kota Cimahi, 56 s with the
    collector and 45 s without, at the same peak memory (the re-score makes almost no cyclic
    garbage; reference counting frees the rest as before).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def recompute_imps(
    session: Session,
    todo: Sequence[tuple[str, str]],
    rules: Rules,
    index: scores.ImpIndex,
    progress: Progress = None,
    codes: Collection[str] | None = None,
    whole: bool = False,
) -> list[ImpAssessment]:
    """Assess every (IMP, period) of todo from stored facts, in its order; store; the results.

    Each tier is stored (a new row, or its row updated) and a changed tier emits an
    `imp_tier_changed` event. `codes`: read the facts and tiers of these IMPs only (todo's
    and every IMP below them), not every IMP's (see recompute_touched). `whole`: a whole re-score
    (see scoring_locks).
    """
    # Every lock first (one per IMP, or the whole re-score's one), so a worker scoring one of
    # these IMPs has committed before their periods' facts are read.
    scoring_locks(session, "imp", [imp for imp, _ in todo], whole=whole)
    by_period: dict[str, tuple[dict[str, list[Facts]], dict[str, tiers.StoredTier]]] = {}
    reader = _ImpFacts(session, rules, codes)
    writer = _TierWriter(session)
    results = []
    for n, (imp, period) in enumerate(todo, start=1):
        if period not in by_period:
            # Facts of the IMPs and their children; tiers of the IMPs scored only.
            scored = None if codes is None else {i for i, p in todo if p == period}
            by_period[period] = (
                reader.of_period(period),
                tiers.tiers_of_period(session, period, scored),
            )
        facts, stored = by_period[period]
        # Everything below the IMP reports for it: a Kelompok KB under a Sub-PPKBD too.
        children = [f for child in index.descendants(imp) for f in facts.get(child, [])]
        result = assess_imp(
            imp,
            period,
            facts.get(imp, []),
            rules.imp,
            child_facts=children,
            imp_kind=index.kind.get(imp),
        )
        writer.add(result, stored.get(imp), index.desa.get(imp))
        results.append(result)
        if progress:
            progress(n, len(todo))
    writer.write()
    return results


class _TierWriter:
    """Tiers to store, written a batch at a time; a changed tier's event recorded as it comes."""

    BATCH = 1_000  # rows held before writing: a year's explanations at once were ~1 GB

    def __init__(self, session: Session) -> None:
        self.session = session
        self.new: list[dict[str, Any]] = []
        self.changed: list[dict[str, Any]] = []

    def add(self, result: ImpAssessment, stored: tiers.StoredTier | None, desa: str | None) -> None:
        values = {
            "tier": result.tier,
            "roles": result.to_dict()["roles"],
            "explanation": result.explain(),
            "rules_version": result.rules_version,
            "computed_at": utcnow(),  # when this tier was assessed, not when the run began
        }
        if stored is None:
            self.new.append({"imp_code": result.imp, "period": result.period, **values})
        else:
            self.changed.append({"id": stored.id, **values})
        previous = stored.tier if stored is not None else None
        if previous != result.tier:
            payload = {"imp": result.imp, "period": result.period, "from": previous}
            scores.add_event(self.session, "imp_tier_changed", desa, {**payload, "to": result.tier})
        if len(self.new) + len(self.changed) >= self.BATCH:
            self.write()

    def write(self) -> None:
        tiers.write_tiers(self.session, self.new, self.changed)
        self.new, self.changed = [], []


def recompute_touched(
    session: Session, todo: Sequence[tuple[str, str]], rules: Rules
) -> list[ImpAssessment]:
    """recompute_imps() of what one unit of work touched: their rows and those below them only.

    A batch of 20 reports touches a few dozen IMP-periods; one at a time that was four
    queries each, most of a processed submission's time.
    """
    if not todo:
        return []
    imps = {imp for imp, _ in todo}
    index = scores.imp_index(session, imps)
    # The todo's own codes whether registered or not: an unregistered one has a tier too.
    codes = imps | {below for imp in imps for below in index.descendants(imp)}
    return recompute_imps(session, todo, rules, index, codes=codes)


def rescore_touched_imps(step: Step) -> int:
    """Recompute every (IMP, period) touched in this unit of work, once each; return how many."""
    touched = step.session.info.pop(TOUCHED, set())
    # A profile counts for up to a year ahead; periods that have not started yet are scored
    # when they do (by the first submission in them, or `pantau score imp`), not now as Dasar.
    current = utcnow().strftime("%Y-%m")
    started = sorted((imp, p) for imp, p in touched if period_months(p)[0] <= current)
    recompute_touched(step.session, started, step.rules)
    return len(started)


class _ImpFacts:
    """Each period's facts for recompute_imps, every month's profiles read and built once.

    A profile is evidence for a year of periods: read again for each period, a district's
    year read every profile about 13 times, most of a whole re-score's reading.
    """

    def __init__(self, session: Session, rules: Rules, codes: Collection[str] | None) -> None:
        self.session, self.rules, self.codes = session, rules, codes
        # month -> (fact id, IMP, facts) of the profiles of that month
        self.profiles: dict[str, list[tuple[int, str, Facts]]] = {}

    def of_period(self, period: str) -> dict[str, list[Facts]]:
        """Per IMP, in fact id order: the period's facts and the profiles young enough.

        Profiles from up to profile_max_age_months before the period's first month.
        """
        months = period_months(period)
        window = [month_shift(months[0], -self.rules.imp.profile_max_age_months)]
        while window[-1] < months[-1]:
            window.append(month_shift(window[-1], 1))
        self._read_profiles([m for m in window if m not in self.profiles])
        others = [form for form in IMP_FORMS if form != PROFILE_FORM]
        by_imp: dict[str, list[tuple[int, Facts]]] = {}
        for row in scores.imp_fact_rows_in_months(self.session, others, months, self.codes):
            by_imp.setdefault(row.imp_code, []).append((row.id, facts_from_row(row)))
        for month in window:
            for fact_id, imp, facts in self.profiles[month]:
                by_imp.setdefault(imp, []).append((fact_id, facts))
        in_order = itemgetter(0)  # fact id
        return {imp: [f for _, f in sorted(rows, key=in_order)] for imp, rows in by_imp.items()}

    def _read_profiles(self, months: list[str]) -> None:
        if not months:
            return
        for month in months:
            self.profiles[month] = []
        for row in scores.imp_fact_rows_in_months(self.session, [PROFILE_FORM], months, self.codes):
            self.profiles[row.period].append((row.id, row.imp_code, facts_from_row(row)))


def store_family_assessments(
    session: Session,
    surveys: Sequence[tuple[Submission, Facts]],
    rules: Rules,
    progress: Progress = None,
    whole: bool = False,
) -> list[FamilyAssessment]:
    """store_family_assessment(emit=False) of every survey, in its order; the results.

    `whole`: a whole re-score (see scoring_locks).
    """
    keys = [facts.get("no_kk") for _, facts in surveys]  # already the pseudonyms
    if not all(keys):  # facts_of refuses it first; never let it reach the NOT NULL family key
        raise FactsError("no_kk", MISSING, "required answer missing")
    # Each family locked (in the surveys' order, as one by one) before it is read.
    scoring_locks(session, "family", keys, whole=whole)
    families = scores.families_by_key(session, keys)
    stored: list[tuple[Family, int, FamilyAssessment]] = []
    for n, ((submission, facts), key) in enumerate(zip(surveys, keys, strict=True), start=1):
        result = assess_family(facts, rules.krs, family=key)
        family = families.get(key)
        if family is None:  # placed where this survey was made until set_place below
            family = Family(
                family_key=key,
                desa_code=facts.get("desa") or "",
                rw=facts.get("rw"),
                rt=facts.get("rt"),
                krs=False,
            )
            session.add(family)
            families[key] = family
        family.last_seen = utcnow()
        stored.append((family, submission.id, result))
        if progress:
            progress(n, len(surveys))
    session.flush()  # new families get their ids, in the order they were met
    scores.replace_risk_assessments(
        session,
        [
            RiskAssessment(
                family_id=family.id,
                submission_id=sid,
                surveyed_on=result.survey_date,
                target=result.target,
                krs=result.krs,
                factors=result.factors,
                details=result.to_dict(),
                rules_version=result.rules_version,
            )
            for family, sid, result in stored
        ],
    )
    # Each family's KRS and place are those of its most recent current survey, once all are
    # stored.
    latest = scores.latest_surveys(session, [family.id for family, _, _ in stored])
    by_submission = {submission.id: facts for submission, facts in surveys}
    for family, _, _ in stored:
        found = latest.get(family.id)
        family.krs = bool(found and found.krs)
        if found is not None:
            set_place(family, found, by_submission)
    return [result for _, _, result in stored]
