"""Role 1, pengorganisasian (organisation): management, task division, sections, decree."""

from __future__ import annotations

from core.domain.facts import Facts
from core.domain.scoring.imp.checks import Check, check, score_from_checks
from core.domain.scoring.imp.context import NO_PROFILE, Context
from core.domain.scoring.imp.forms import PROFILE_YES_FIELDS, YA
from core.domain.scoring.imp.results import RoleScore


def score_pengorganisasian(ctx: Context) -> RoleScore:
    """Rate organisation from the applicable IMP profile."""
    r, profile = ctx.rules, ctx.profile
    ids = ctx.profile_ids
    kep = profile.get("kepengurusan") if profile else None
    allowed = ", ".join(r.org_b_kepengurusan)
    berkembang = [
        check(
            "pengorganisasian.kepengurusan",
            kep in r.org_b_kepengurusan,
            f"Kepengurusan kolektif ({allowed}); jawaban: {kep or 'tidak diisi'}",
            f"Collective management ({allowed}); answer: {kep or 'not answered'}",
            ids,
        )
    ] + [_profile_yes(profile, name, "berkembang") for name in r.org_b_required_yes]
    mandiri = [_profile_yes(profile, name, "mandiri") for name in r.org_m_required_yes]
    return score_from_checks(
        "pengorganisasian", berkembang, mandiri, ids, profile is not None, *NO_PROFILE
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
