"""Role 5, pelayanan (services): routine re-supply and referrals, activity groups (poktan)."""

from __future__ import annotations

from core.domain.facts import Facts
from core.domain.scoring.imp.checks import (
    Check,
    as_count,
    check,
    score_from_checks,
    submission_ids,
)
from core.domain.scoring.imp.context import Context
from core.domain.scoring.imp.forms import KIE, LAPORAN
from core.domain.scoring.imp.results import RoleScore


def score_pelayanan(ctx: Context) -> RoleScore:
    """Rate services from the monthly reports, KIE activities and the profile's poktan."""
    r = ctx.rules
    by_month = ctx.latest_reports("pelayanan") if LAPORAN in r.svc_sources else {}
    acts = ctx.in_period(KIE, "pelayanan") if KIE in r.svc_sources else []
    reports = [f for month in by_month.values() for f in month]
    evidence = submission_ids(reports) + submission_ids(acts) + ctx.profile_ids
    return score_from_checks(
        "pelayanan",
        _berkembang(ctx, by_month, acts),
        _mandiri(ctx, reports),
        evidence,
        bool(reports or acts),
        "tidak ada laporan bulanan atau laporan KIE dengan data pelayanan",
        "no monthly or KIE report with service counts",
    )


def _per_month(
    ctx: Context,
    by_month: dict[str, list[Facts]],
    acts: list[Facts],
    report_field: str,
    kie_field: str,
) -> dict[str, float]:
    # Max, not sum, of the two sources: the monthly report may already include the KIE counts.
    totals = {}
    for month in ctx.months:
        from_reports = sum(as_count(f.get(report_field)) for f in by_month.get(month, []))
        from_kie = sum(as_count(a.get(kie_field)) for a in acts if ctx.month(a) == month)
        totals[month] = max(from_reports, from_kie)
    return totals


def _counted(facts: list[Facts], name: str) -> list[Facts]:
    return [f for f in facts if as_count(f.get(name)) > 0]


def _berkembang(ctx: Context, by_month: dict[str, list[Facts]], acts: list[Facts]) -> list[Check]:
    r = ctx.rules
    reports = [f for month in by_month.values() for f in month]
    resupply = _per_month(ctx, by_month, acts, "jumlah_pelayanan_ulang", "pelayanan_ulang")
    referrals = sum(_per_month(ctx, by_month, acts, "jumlah_rujukan", "jumlah_rujukan").values())
    need_resupply = r.svc_b_min_pelayanan_ulang_per_month
    thin = [m for m, total in resupply.items() if total < need_resupply or total <= 0]
    counts = ", ".join(f"{m}: {resupply[m]:g}" for m in ctx.months)
    return [
        check(
            "pelayanan.pelayanan_ulang",
            not thin,
            f"Pelayanan ulang rutin: minimal {need_resupply} per bulan ({counts})",
            f"Routine re-supply: at least {need_resupply} a month ({counts})",
            submission_ids(
                _counted(reports, "jumlah_pelayanan_ulang") + _counted(acts, "pelayanan_ulang")
            ),
        ),
        check(
            "pelayanan.rujukan",
            referrals >= r.svc_b_min_rujukan and referrals > 0,
            f"Rujukan: {referrals:g} dalam periode (minimal {r.svc_b_min_rujukan})",
            f"Referrals: {referrals:g} in the period (at least {r.svc_b_min_rujukan})",
            submission_ids(_counted(reports, "jumlah_rujukan") + _counted(acts, "jumlah_rujukan")),
        ),
    ]


def _mandiri(ctx: Context, reports: list[Facts]) -> list[Check]:
    r, profile = ctx.rules, ctx.profile
    poktan = [p for p in (profile.get("poktan") or []) if p != "tidak_ada"] if profile else []
    poktan_meetings = sum(as_count(f.get("pertemuan_poktan")) for f in reports)
    return [
        check(
            "pelayanan.poktan",
            len(poktan) >= r.svc_m_min_poktan and poktan,
            f"Menjalankan poktan: {', '.join(poktan) or 'tidak ada'} "
            f"(minimal {r.svc_m_min_poktan} kelompok)",
            f"Runs activity groups (poktan): {', '.join(poktan) or 'none'} "
            f"(at least {r.svc_m_min_poktan})",
            ctx.profile_ids,
        ),
        check(
            "pelayanan.pertemuan_poktan",
            poktan_meetings >= r.svc_m_min_pertemuan_poktan and poktan_meetings > 0,
            f"Pertemuan poktan: {poktan_meetings:g} dalam periode "
            f"(minimal {r.svc_m_min_pertemuan_poktan})",
            f"Poktan meetings: {poktan_meetings:g} in the period "
            f"(at least {r.svc_m_min_pertemuan_poktan})",
            submission_ids(_counted(reports, "pertemuan_poktan")),
        ),
    ]
