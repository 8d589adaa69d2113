"""Assess one keluarga_risiko survey: target family, KRS factors, children, pregnancy."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from core.domain.facts import Facts
from core.domain.scoring.errors import ScoringError
from core.domain.scoring.families.answers import YA, age_months, age_years, as_date
from core.domain.scoring.families.children import assess_child
from core.domain.scoring.families.factors import Household, krs_factors
from core.domain.scoring.families.pregnancy import pregnancy_flags
from core.domain.scoring.families.results import FamilyAssessment
from core.domain.scoring.families.rules import KrsRules
from core.domain.scoring.families.spacing import known_births
from core.domain.scoring.periods import local_date

FORM = "keluarga_risiko"


def survey_date(facts: Facts, rules: KrsRules) -> date:
    """Return the survey date: the `today` answer, else the submission day on the rules' clock."""
    return facts.get_date("today") or local_date(facts.submitted_at, rules.utc_offset_hours)


def assess_family(facts: Facts, rules: KrsRules, family: str = "") -> FamilyAssessment:
    """Assess one keluarga_risiko survey: target family, KRS factors, children, pregnancy."""
    if facts.form != FORM:
        raise ScoringError(f"assess_family needs a {FORM} submission, got {facts.form!r}")
    v = facts.values
    on = survey_date(facts, rules)
    kids = [k for k in (v.get("anak") or []) if isinstance(k, dict)]
    births = _births(facts, kids, on)
    household = _household(facts, kids, on, rules)
    groups = _target_groups(household, births, on, rules)
    factors, details = krs_factors(household, rules)
    pregnancy = pregnancy_flags(v, factors, rules) if household.pregnant else None
    return FamilyAssessment(
        desa=v.get("desa"),
        target=bool(groups),
        krs=bool(groups) and any(factors.values()),
        factors=factors,
        factor_details=details,
        children=[assess_child(i, kid, rules) for i, kid in enumerate(kids)],
        pregnancy=pregnancy,
        rules_version=rules.version,
        submission_id=facts.submission_id,
        survey_date=on,
        target_groups=groups,
        family=family,
    )


def assess_families(facts: Iterable[Facts], rules: KrsRules) -> list[FamilyAssessment]:
    """Assess every keluarga_risiko submission among `facts` (others are skipped)."""
    return [assess_family(f, rules) for f in facts if f.form == FORM]


def _births(facts: Facts, kids: list[dict[str, Any]], on: date) -> list[date]:
    """Birth dates up to the survey day: each child's, plus the stated youngest's."""
    births = [d for d in (as_date(k.get("tgl_lahir_anak")) for k in kids) if d and d <= on]
    youngest_stated = facts.get_date("tgl_lahir_anak_bungsu")
    if youngest_stated and youngest_stated <= on:
        births.append(youngest_stated)
    return births


def _household(facts: Facts, kids: list[dict[str, Any]], on: date, rules: KrsRules) -> Household:
    wife_born = facts.get_date("tgl_lahir_istri")
    wife_age = age_years(wife_born, on) if wife_born else None
    repeat = [d for d in (as_date(k.get("tgl_lahir_anak")) for k in kids) if d]
    return Household(
        values=facts.values,
        survey=on,
        wife_born=wife_born,
        wife_age=wife_age,
        pus=wife_age is not None and rules.pus_min_age <= wife_age <= rules.pus_max_age,
        pregnant=facts.values.get("hamil") == YA,
        births=known_births(facts.values, repeat, on),
    )


def _target_groups(h: Household, births: list[date], on: date, rules: KrsRules) -> list[str]:
    """The groups that make a target family: PUS, pregnant wife, baduta, balita."""
    child_months = sorted(age_months(b, on) for b in births)
    groups = []
    if h.pus:
        groups.append("pus")
    if h.pregnant:
        groups.append("ibu_hamil")
    if any(m <= rules.baduta_max_months for m in child_months):
        groups.append("baduta")
    if any(rules.baduta_max_months < m <= rules.balita_max_months for m in child_months):
        groups.append("balita")
    return groups
