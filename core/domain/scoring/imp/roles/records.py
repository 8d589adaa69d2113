"""Role 4, pencatatan (records): monthly reports on time and complete, a target map in use."""

from __future__ import annotations

from core.domain.facts import Facts
from core.domain.scoring.imp.checks import (
    Check,
    check,
    score_from_checks,
    submission_ids,
    with_gaps,
)
from core.domain.scoring.imp.context import Context
from core.domain.scoring.imp.forms import LAPORAN, YA
from core.domain.scoring.imp.results import RoleScore
from core.domain.scoring.periods import local_date, report_deadline


def score_pencatatan(ctx: Context) -> RoleScore:
    """Rate records from the monthly reports (laporan_bulanan_imp) and the profile's target map."""
    r = ctx.rules
    reports = ctx.in_period(LAPORAN, "pencatatan")
    profile = ctx.profile if r.rec_m_require_peta_sasaran else None
    evidence = submission_ids(reports) + ([profile.submission_id] if profile else [])
    return score_from_checks(
        "pencatatan",
        [_on_time(ctx, reports)],
        _mandiri(ctx, profile),
        evidence,
        bool(reports) or profile is not None,
        "tidak ada laporan bulanan (laporan_bulanan_imp) atau profil",
        "no monthly report (laporan_bulanan_imp) or profile",
    )


def _on_time(ctx: Context, reports: list[Facts]) -> Check:
    r = ctx.rules
    on_time: list[Facts] = []
    late: list[str] = []
    for month in ctx.months:
        deadline = report_deadline(month, r.rec_b_deadline_day)
        timely = [
            f
            for f in reports
            if ctx.month(f) == month and local_date(f.submitted_at, r.utc_offset_hours) <= deadline
        ]
        on_time += timely
        if not timely:
            late.append(month)
    tz = f"UTC{r.utc_offset_hours:+g}"
    day = r.rec_b_deadline_day
    texts = with_gaps(
        f"Laporan bulanan masuk paling lambat tanggal {day} bulan berikutnya ({tz})",
        f"Monthly report submitted by day {day} of the following month ({tz})",
        ", ".join(late),
        "terlambat/tidak ada:",
        "late or missing:",
    )
    return check("pencatatan.tepat_waktu", not late, *texts, submission_ids(on_time))


def _mandiri(ctx: Context, profile: Facts | None) -> list[Check]:
    r = ctx.rules
    checks = []
    if r.rec_m_required_counts:
        checks.append(_complete(ctx))
    if r.rec_m_require_peta_sasaran:
        answer = profile.get("ada_peta_sasaran") if profile else None
        checks.append(
            check(
                "pencatatan.peta_sasaran",
                answer == YA,
                f"Peta sasaran ada dan digunakan (profil: {answer or 'tidak ada/tidak diisi'})",
                f"Target map exists and is used (profile: {answer or 'none/not answered'})",
                [profile.submission_id] if profile else [],
            )
        )
    return checks


def _complete(ctx: Context) -> Check:
    incomplete: list[str] = []
    complete_ids: list[int] = []
    for month, month_reports in ctx.latest_reports("pencatatan").items():
        gaps = [
            name
            for report in month_reports
            for name in ctx.rules.rec_m_required_counts
            if report.get(name) is None
        ]
        if not month_reports or gaps:
            incomplete.append(month + (f" ({', '.join(sorted(set(gaps)))})" if gaps else ""))
        else:
            complete_ids += submission_ids(month_reports)
    texts = with_gaps(
        "Laporan bulanan lengkap",
        "Monthly report complete",
        "; ".join(incomplete),
        "belum lengkap:",
        "incomplete:",
    )
    return check("pencatatan.lengkap", not incomplete, *texts, complete_ids)
