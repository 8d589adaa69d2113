"""Assess one IMP for one period: score the six roles; the tier is the lowest of them."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from core.domain.facts import Facts
from core.domain.scoring.imp.context import Context
from core.domain.scoring.imp.forms import IMP_FORMS
from core.domain.scoring.imp.results import ROLES, TIERS, Criterion, ImpAssessment, RoleScore
from core.domain.scoring.imp.roles.kie import score_kie_konseling
from core.domain.scoring.imp.roles.meetings import score_pertemuan
from core.domain.scoring.imp.roles.organisation import score_pengorganisasian
from core.domain.scoring.imp.roles.records import score_pencatatan
from core.domain.scoring.imp.roles.self_reliance import score_kemandirian
from core.domain.scoring.imp.roles.services import score_pelayanan
from core.domain.scoring.imp.rules import ImpRules
from core.domain.scoring.periods import period_kind, period_months

SCORERS: dict[str, Callable[[Context], RoleScore]] = {
    "pengorganisasian": score_pengorganisasian,
    "pertemuan": score_pertemuan,
    "kie_konseling": score_kie_konseling,
    "pencatatan": score_pencatatan,
    "pelayanan": score_pelayanan,
    "kemandirian": score_kemandirian,
}


NO_REPORT = Criterion(
    "tanpa_laporan",
    "Tidak ada laporan yang diterima pada periode ini",
    "No report received in this period",
)


def assess_imp(
    imp: str,
    period: str,
    facts: Iterable[Facts],
    rules: ImpRules,
    child_facts: Iterable[Facts] = (),
    imp_kind: str | None = None,
) -> ImpAssessment:
    """Rate the six roles of one IMP for one period; the tier is the lowest role.

    `imp_kind` is the registry's kind of the IMP (ppkbd, sub_ppkbd, kelompok_kb), which some
    criteria depend on (a PPKBD may be Berkembang with a single manager).
    """
    kind = period_kind(period)
    months = period_months(period)
    # Callers may pass a whole desa's batch: only this IMP's own submissions are its evidence.
    own = _dedupe(f for f in facts if f.form in IMP_FORMS and f.get("imp") == imp)
    # A child fact with the parent's own code would be counted twice.
    children = _dedupe(f for f in child_facts if f.form in IMP_FORMS and f.get("imp") != imp)
    ctx = Context(imp, period, kind, months, rules, own, children, imp_kind=imp_kind)
    roles = {role: SCORERS[role](ctx) for role in ROLES}
    tier = TIERS[min(score.level for score in roles.values())]
    # An older profile may still be evidence; "no report" means nothing dated in the period.
    received = any(ctx.month(f) in months for f in own + children)
    notes = () if received else (NO_REPORT,)
    return ImpAssessment(imp, period, tier, roles, rules.version, kind, imp_kind, notes)


def _dedupe(facts: Iterable[Facts]) -> list[Facts]:
    """Keep one fact per submission id (the last given), so a repeated row counts once."""
    return list({f.submission_id: f for f in facts}.values())
