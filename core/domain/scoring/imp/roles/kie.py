"""Role 3, KIE dan konseling: outreach to individuals, groups and the public, and counselling."""

from __future__ import annotations

from core.domain.facts import Facts
from core.domain.scoring.imp.checks import (
    Check,
    as_count,
    check,
    score_from_checks,
    submission_ids,
    with_gaps,
)
from core.domain.scoring.imp.context import Context
from core.domain.scoring.imp.forms import KIE
from core.domain.scoring.imp.results import RoleScore


def score_kie_konseling(ctx: Context) -> RoleScore:
    """Rate KIE and counselling from the kie_konseling activities of the period."""
    r = ctx.rules
    acts = ctx.in_period(KIE, "kie_konseling")
    kie = [a for a in acts if a.get("jenis_kegiatan") in r.kie_kinds]
    kons = [a for a in acts if a.get("jenis_kegiatan") in r.kie_counselling_kinds]
    berkembang = [
        check(
            "kie_konseling.kie",
            len(kie) >= r.kie_b_min_kie and kie,
            f"KIE: {len(kie)} kegiatan (minimal {r.kie_b_min_kie})",
            f"KIE: {len(kie)} activities (at least {r.kie_b_min_kie})",
            submission_ids(kie),
        ),
        check(
            "kie_konseling.konseling",
            len(kons) >= r.kie_b_min_konseling and kons,
            f"Konseling: {len(kons)} kegiatan (minimal {r.kie_b_min_konseling})",
            f"Counselling: {len(kons)} sessions (at least {r.kie_b_min_konseling})",
            submission_ids(kons),
        ),
    ]
    return score_from_checks(
        "kie_konseling",
        berkembang,
        _mandiri(ctx, acts),
        submission_ids(acts),
        bool(acts),
        "tidak ada laporan KIE/konseling (kie_konseling)",
        "no KIE/counselling report (kie_konseling)",
    )


def _mandiri(ctx: Context, acts: list[Facts]) -> list[Check]:
    r = ctx.rules
    kinds_seen = {a.get("jenis_kegiatan") for a in acts}
    missing_kinds = [k for k in r.kie_m_required_kinds if k not in kinds_seen]
    required = ", ".join(r.kie_m_required_kinds)
    texts = with_gaps(
        f"Semua jenis kegiatan ({required})",
        f"Every activity kind ({required})",
        ", ".join(missing_kinds),
        "belum ada:",
        "missing:",
    )
    checks = [check("kie_konseling.semua_jenis", not missing_kinds, *texts, submission_ids(acts))]
    if r.kie_m_participants_recorded:
        unrecorded = [
            a
            for a in acts
            if as_count(a.get("jumlah_perempuan")) + as_count(a.get("jumlah_laki")) <= 0
        ]
        checks.append(
            check(
                "kie_konseling.tercatat",
                not unrecorded,
                "Setiap kegiatan mencatat jumlah peserta"
                + (f"; tanpa peserta: {len(unrecorded)} kegiatan" if unrecorded else ""),
                "Every activity records its participants"
                + (f"; without participants: {len(unrecorded)}" if unrecorded else ""),
                submission_ids(unrecorded or acts),
            )
        )
    return checks
