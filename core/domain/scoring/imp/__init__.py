"""IMP tiers: rate the six roles (6 Peran Bhakti) 1-3 per period; the tier is the lowest role.

The thresholds live in config/rules/imp_rubric.toml (read by rules.py); this package interprets
them and explains each level with the criteria met and not met, the submissions used and what the
next tier needs. periods.py places a submission in its periods, context.py gathers one period's
evidence, roles/ holds one scorer per role and assess.py combines them into the tier.
"""

from core.domain.scoring.imp.assess import NO_REPORT, assess_imp
from core.domain.scoring.imp.explain import LANGUAGES, explanation_lines
from core.domain.scoring.imp.forms import (
    IMP_FORMS,
    KIE,
    LAPORAN,
    PERTEMUAN,
    PROFIL,
    PROFILE_YES_FIELDS,
    REPORT_COUNTS,
)
from core.domain.scoring.imp.periods import (
    fact_month,
    month_shift,
    periods_for,
    periods_for_month,
)
from core.domain.scoring.imp.results import ROLES, TIERS, Criterion, ImpAssessment, RoleScore
from core.domain.scoring.imp.rules import (
    DEFAULT_IMP_RULES,
    ROLLUP_ALLOWED,
    ImpRules,
    default_imp_rules_path,
    load_imp_rules,
)

__all__ = [
    "DEFAULT_IMP_RULES",
    "IMP_FORMS",
    "KIE",
    "LANGUAGES",
    "LAPORAN",
    "NO_REPORT",
    "PERTEMUAN",
    "PROFILE_YES_FIELDS",
    "PROFIL",
    "REPORT_COUNTS",
    "ROLES",
    "ROLLUP_ALLOWED",
    "TIERS",
    "Criterion",
    "ImpAssessment",
    "ImpRules",
    "RoleScore",
    "assess_imp",
    "default_imp_rules_path",
    "explanation_lines",
    "fact_month",
    "load_imp_rules",
    "month_shift",
    "periods_for",
    "periods_for_month",
]
