"""Which month an IMP submission reports on, and which periods it can change."""

from __future__ import annotations

from datetime import date

from core.domain.facts import Facts
from core.domain.scoring.imp.forms import DATE_FIELDS, IMP_FORMS, LAPORAN, PROFIL
from core.domain.scoring.imp.rules import ImpRules
from core.domain.scoring.periods import period_of


def fact_month(fact: Facts) -> str | None:
    """Return the "YYYY-MM" month an IMP submission reports on, or None if it has none."""
    if fact.form in (PROFIL, LAPORAN):
        periode = fact.get("periode")
        return periode if isinstance(periode, str) and len(periode) == 7 else None
    field_name = DATE_FIELDS.get(fact.form)
    day = fact.get_date(field_name) if field_name else None
    return period_of(day, "month") if day else None


def periods_for(fact: Facts, rules: ImpRules, kind: str | None = None) -> list[str]:
    """Return the periods whose assessment a submission can change (to recompute only those)."""
    return periods_for_month(fact.form, fact_month(fact), rules, kind)


def periods_for_month(
    form: str, month: str | None, rules: ImpRules, kind: str | None = None
) -> list[str]:
    """periods_for() of a submission of form that reports on month (its fact_month)."""
    kind = kind or rules.period_kind
    if form not in IMP_FORMS or month is None:
        return []
    if form != PROFIL:
        return [period_of(_month_start(month), kind)]
    # A profile stays the "latest" one for up to max_age_months after its own month.
    found: list[str] = []
    index = month_index(month)
    for offset in range(rules.profile_max_age_months + 1):
        period = period_of(_index_month_start(index + offset), kind)
        if period not in found:
            found.append(period)
    return found


def month_index(month: str) -> int:
    """Return a "YYYY-MM" month as a count of months, so that months can be subtracted."""
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def month_shift(month: str, delta: int) -> str:
    """The "YYYY-MM" month delta months after (before, if negative) month."""
    index = month_index(month) + delta
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _month_start(month: str) -> date:
    return date(int(month[:4]), int(month[5:7]), 1)


def _index_month_start(index: int) -> date:
    return date(index // 12, index % 12 + 1, 1)
