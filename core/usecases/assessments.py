"""Keep scores current as facts come and go: IMP tiers per period, family risk assessments.

The steps here are what `core.usecases.jobs` runs for a submission of each form; they take the
unit of work's `Step` context and never commit. Both only ever read facts of current (latest,
not deleted) submissions.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from core.domain.facts import MISSING, Facts, FactsError
from core.domain.rules import Rules
from core.domain.scoring import FamilyAssessment, assess_family, periods_for
from core.domain.wilayah import UnknownWilayah, parse_code
from core.store import scores
from core.store.db import scoring_locks, transaction_memo
from core.store.facts import facts_from_row
from core.store.models import Fact, Family, RiskAssessment, Submission, utcnow

TOUCHED = "pantau.touched_imp_periods"  # (IMP, period) pairs a unit of work touched
_NEWLY_KRS = "pantau.newly_krs"  # families that became KRS in this transaction


@dataclass(frozen=True)
class Step:
    """What a processing step gets: the unit of work's session and the rules in force."""

    session: Session
    rules: Rules


# -- IMP tiers ------------------------------------------------------------------------------------


def touch_imp_periods(step: Step, submission: Submission, facts: Facts) -> None:
    """Note the IMP-periods a meeting, KIE, report or profile is evidence for (scored later)."""
    imp = facts.get("imp")
    if isinstance(imp, str):
        _touch(step.session, imp, periods_for(facts, step.rules.imp))


def touch_retracted_imp_periods(step: Step, submission: Submission, fact: Fact) -> None:
    """Note the IMP-periods a withdrawn IMP submission was evidence for."""
    if fact.imp_code:
        _touch(step.session, fact.imp_code, periods_for(facts_from_row(fact), step.rules.imp))


def _touch(session: Session, imp: str, periods: Iterable[str]) -> None:
    # A Sub-PPKBD's or Kelompok KB's activity is evidence for its parent IMP too.
    periods = list(periods)
    touched = session.info.setdefault(TOUCHED, set())
    touched.update((imp, p) for p in periods)
    for parent in scores.parent_codes(session, imp):
        touched.update((parent, p) for p in periods)


# -- families -------------------------------------------------------------------------------------


def _family_row(session: Session, key: str, facts: Facts) -> Family:
    family = scores.family_by_key(session, key)
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
    if not key:  # facts_of refuses it first; never let it reach the NOT NULL family key
        raise FactsError("no_kk", MISSING, "required answer missing")
    scoring_locks(session, "family", [key])
    result = assess_family(facts, rules.krs, family=key)
    family = _family_row(session, key, facts)
    scores.drop_risk_assessment(session, submission.id)
    session.add(
        RiskAssessment(
            family_id=family.id,
            submission_id=submission.id,
            surveyed_on=result.survey_date,
            target=result.target,
            krs=result.krs,
            factors=result.factors,
            details=result.to_dict(),
            rules_version=result.rules_version,
        )
    )
    session.flush()
    was_krs = family.krs
    _refresh_family(session, family, (submission.id, facts))
    family.last_seen = utcnow()
    # Events are handled once the whole unit of work is stored, against the family's latest
    # survey; a unit may hold two of its surveys (a pull page, a replay). A family that became
    # KRS with the first is still newly KRS with the second, or its alert would never come.
    became = transaction_memo(session, _NEWLY_KRS)
    newly_krs = family.krs and (not was_krs or family.id in became)
    if newly_krs:
        became[family.id] = True
    else:
        became.pop(family.id, None)
    if emit:
        scores.add_event(
            session,
            "family_assessed",
            family.desa_code,
            {
                "family": key,
                "family_id": family.id,
                "submission_id": submission.id,
                "newly_krs": newly_krs,
            },
        )
    return result


def _refresh_family(
    session: Session, family: Family, current: tuple[int, Facts] | None = None
) -> None:
    """Set the family's KRS status and place from its most recent current survey.

    `current`: the survey being stored (its facts may not be in the database yet).
    """
    latest = scores.latest_surveys(session, [family.id]).get(family.id)
    family.krs = bool(latest and latest.krs)
    if latest is not None:
        set_place(family, latest, dict([current]) if current else {})


def set_place(family: Family, latest: scores.LatestSurvey, facts: dict[int, Facts]) -> None:
    """The family's desa, RW and RT: where its most recent current survey was made.

    Not the survey processed last: an edit of an older survey, or one uploaded late from a
    phone that was offline, must not move a family back into the desa it has left (and out of
    sight of the TPPS of the desa it lives in now). `facts`: surveys' facts by submission id,
    for those not stored yet.
    """
    found = facts.get(latest.submission_id)
    desa, rw, rt = (
        (found.get("desa"), found.get("rw"), found.get("rt"))
        if found is not None
        else (latest.desa, latest.rw, latest.rt)
    )
    if desa:
        family.desa_code, family.rw, family.rt = desa, rw, rt


def assess_family_survey(step: Step, submission: Submission, facts: Facts) -> None:
    """Score a family survey and keep the family's KRS status current."""
    # The desa/kelurahan decides whose TPPS is alerted and who sees the family: a survey
    # without a real one would be scored and alert no one. The sender's data, named as such.
    desa = facts.get("desa")
    if not desa:
        raise FactsError("desa", MISSING, "required answer missing")
    try:
        code = parse_code(str(desa), level=4)
    except UnknownWilayah as exc:
        raise FactsError("desa", desa, f"not a desa/kelurahan: {exc}") from None
    if code != desa:  # routing and scopes compare dotted codes: 3277011001 would match none
        raise FactsError("desa", desa, f"write the code dotted, as the form's list does: {code}")
    store_family_assessment(step.session, submission, facts, step.rules)


def withdraw_family_survey(step: Step, submission: Submission, fact: Fact) -> None:
    """Drop the assessment of a withdrawn survey; the family falls back on its other surveys."""
    old = scores.risk_assessment_of(step.session, fact.submission_id)
    if old is not None:
        family = step.session.get(Family, old.family_id)
        # As a family is scored: a re-score must not bring the withdrawn assessment back.
        scoring_locks(step.session, "family", [family.family_key])
        step.session.delete(old)
        step.session.flush()
        _refresh_family(step.session, family)
        scores.add_event(
            step.session,
            "family_withdrawn",
            family.desa_code,
            {
                "family": family.family_key,
                "family_id": family.id,
                "submission_id": fact.submission_id,
            },
        )
