"""Role 1, pengorganisasian (organisation): management, task division, sections, decree."""

from __future__ import annotations

from core.domain.facts import Facts
from core.domain.registry import KINDS
from core.domain.scoring.imp.checks import Check, check, score_from_checks
from core.domain.scoring.imp.context import NO_PROFILE, Context
from core.domain.scoring.imp.forms import PROFILE_YES_FIELDS, SINGLE_MANAGER, YA
from core.domain.scoring.imp.results import RoleScore


def score_pengorganisasian(ctx: Context) -> RoleScore:
    """Rate organisation from the applicable IMP profile."""
    r, profile = ctx.rules, ctx.profile
    berkembang = [_management(ctx)] + [
        _profile_yes(profile, name, "berkembang") for name in r.org_b_required_yes
    ]
    mandiri = [_profile_yes(profile, name, "mandiri") for name in r.org_m_required_yes]
    return score_from_checks(
        "pengorganisasian", berkembang, mandiri, ctx.profile_ids, profile is not None, *NO_PROFILE
    )


def _management(ctx: Context) -> Check:
    """Collective management, or a single manager where the rubric allows it for the IMP kind."""
    r, profile = ctx.rules, ctx.profile
    kep = profile.get("kepengurusan") if profile else None
    allowed = ", ".join(r.org_b_kepengurusan)
    text_id = f"Kepengurusan kolektif ({allowed}); jawaban: {kep or 'tidak diisi'}"
    text_en = f"Collective management ({allowed}); answer: {kep or 'not answered'}"
    if kep != SINGLE_MANAGER or not r.org_b_single_manager_kinds:
        return check(
            "pengorganisasian.kepengurusan",
            kep in r.org_b_kepengurusan,
            text_id,
            text_en,
            ctx.profile_ids,
        )
    kinds = ", ".join(KINDS.get(k, k) for k in r.org_b_single_manager_kinds)
    if ctx.imp_kind in r.org_b_single_manager_kinds:
        name = KINDS.get(ctx.imp_kind, ctx.imp_kind)
        return check(
            "pengorganisasian.kepengurusan",
            True,
            f"Kepengurusan tunggal diterima untuk {name} (pengecualian pedoman: "
            f'"kecuali PPKBD yang dimungkinkan kepengurusannya tunggal"); jawaban: {kep}',
            f"A single manager is accepted for a {name} (the guideline's exception: a PPKBD "
            f"may have a single manager); answer: {kep}",
            ctx.profile_ids,
        )
    kind_id = KINDS.get(ctx.imp_kind, ctx.imp_kind) if ctx.imp_kind else "tidak terdaftar"
    kind_en = KINDS.get(ctx.imp_kind, ctx.imp_kind) if ctx.imp_kind else "not registered"
    return check(
        "pengorganisasian.kepengurusan",
        False,
        f"{text_id}; kepengurusan tunggal hanya diterima untuk {kinds} (IMP ini: {kind_id})",
        f"{text_en}; a single manager is accepted only for {kinds} (this IMP: {kind_en})",
        ctx.profile_ids,
    )


def _profile_yes(profile: Facts | None, name: str, level: str) -> Check:
    label_id, label_en = PROFILE_YES_FIELDS[name]
    answer = profile.get(name) if profile else None
    return check(
        f"pengorganisasian.{name}",
        answer == YA,
        f"Profil IMP: {label_id} (jawaban: {answer or 'tidak diisi'}) [{level}]",
        f"IMP profile: {label_en} (answer: {answer or 'not answered'}) [{level}]",
        [profile.submission_id] if profile else [],
    )
