"""Pure domain scoring: IMP tiers and families at risk of stunting (no DB, web or queue)."""

from core.scoring.errors import IdentityError, PeriodError, RulesError, ScoringError
from core.scoring.families import (
    AlertReason,
    ChildAssessment,
    FamilyAssessment,
    KrsRules,
    alert_reasons,
    assess_family,
    load_krs_rules,
)
from core.scoring.identity import family_key
from core.scoring.imp import (
    Criterion,
    ImpAssessment,
    ImpRules,
    RoleScore,
    assess_imp,
    load_imp_rules,
    periods_for,
)
from core.scoring.inputs import Facts
from core.scoring.periods import period_bounds, period_kind, period_months, period_of

__all__ = [
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
    "family_key",
    "load_imp_rules",
    "load_krs_rules",
    "period_bounds",
    "period_kind",
    "period_months",
    "period_of",
    "periods_for",
]
