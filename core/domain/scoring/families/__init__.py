"""Families at risk of stunting (KRS), child z-scores and pregnancy flags from one survey.

Thresholds and lists live in config/rules/krs.toml (read by rules.py); every factor is kept as
its own boolean with the answers behind it so each flag can be explained. factors.py computes the
KRS factors, children.py the z-scores, pregnancy.py the pregnancy flags, assess.py puts them
together and alerts.py lists what deserves an immediate alert.
"""

from core.domain.scoring.families.alerts import AlertReason, alert_reasons
from core.domain.scoring.families.answers import age_months, age_years
from core.domain.scoring.families.assess import (
    FORM,
    assess_families,
    assess_family,
    survey_date,
)
from core.domain.scoring.families.children import CATEGORIES, assess_child, classify_haz
from core.domain.scoring.families.results import CHILD_FLAGS, ChildAssessment, FamilyAssessment
from core.domain.scoring.families.rules import (
    BUILDING_PARTS,
    DEFAULT_KRS_RULES,
    FACTORS,
    FOUR_TERLALU,
    KrsRules,
    default_krs_rules_path,
    load_krs_rules,
)

__all__ = [
    "BUILDING_PARTS",
    "CATEGORIES",
    "CHILD_FLAGS",
    "DEFAULT_KRS_RULES",
    "FACTORS",
    "FORM",
    "FOUR_TERLALU",
    "AlertReason",
    "ChildAssessment",
    "FamilyAssessment",
    "KrsRules",
    "age_months",
    "age_years",
    "alert_reasons",
    "assess_child",
    "assess_families",
    "assess_family",
    "classify_haz",
    "default_krs_rules_path",
    "load_krs_rules",
    "survey_date",
]
