"""Pure domain scoring: IMP tiers and families at risk of stunting (no DB, web or queue)."""

from core.domain.facts import Facts
from core.domain.scoring.errors import IdentityError, PeriodError, RulesError, ScoringError
from core.domain.scoring.families import FORM as FAMILY_FORM
from core.domain.scoring.families import (
    AlertReason,
    ChildAssessment,
    FamilyAssessment,
    KrsRules,
    alert_reasons,
    assess_family,
    load_krs_rules,
)
from core.domain.scoring.identity import family_key
from core.domain.scoring.imp import (
    IMP_FORMS,
    Criterion,
    ImpAssessment,
    ImpRules,
    RoleScore,
    assess_imp,
    explanation_lines,
    load_imp_rules,
    month_shift,
    periods_for,
    periods_for_month,
)
from core.domain.scoring.imp import PROFIL as PROFILE_FORM
from core.domain.scoring.periods import (
    PERIOD_KINDS,
    period_bounds,
    period_kind,
    period_months,
    period_of,
)

__all__ = [
    "FAMILY_FORM",
    "IMP_FORMS",
    "PERIOD_KINDS",
    "PROFILE_FORM",
    "AlertReason",
    "ChildAssessment",
    "Criterion",
    "Facts",
    "FamilyAssessment",
    "IdentityError",
    "ImpAssessment",
    "ImpRules",
    "KrsRules",
    "PeriodError",
    "RoleScore",
    "RulesError",
    "ScoringError",
    "alert_reasons",
    "assess_family",
    "assess_imp",
    "explanation_lines",
    "family_key",
    "load_imp_rules",
    "load_krs_rules",
    "month_shift",
    "period_bounds",
    "period_kind",
    "period_months",
    "period_of",
    "periods_for",
    "periods_for_month",
]
