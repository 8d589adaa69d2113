"""Role 2, pertemuan (meetings): routine, with a work plan and minutes, followed up monthly."""

from __future__ import annotations

from dataclasses import dataclass

from core.domain.facts import Facts
from core.domain.scoring.imp.checks import (
    Check,
    check,
    score_from_checks,
    submission_ids,
    with_gaps,
)
from core.domain.scoring.imp.context import Context
from core.domain.scoring.imp.forms import PERTEMUAN, YA
from core.domain.scoring.imp.results import RoleScore

_PLAN_WORDS = ("sesuai rencana kerja", "followed a work plan")
_MINUTE_WORDS = ("memiliki notulen", "have minutes")


@dataclass(frozen=True)
class _Meetings:
    """A period's meetings and the subsets the criteria count."""

    meetings: list[Facts]
    plan: list[Facts]
    minutes: list[Facts]
    follow: list[Facts]
    missing_months: list[str]


def score_pertemuan(ctx: Context) -> RoleScore:
    """Rate meetings from the pertemuan_imp reports of the period."""
    m = _sort_meetings(ctx)
    return score_from_checks(
        "pertemuan",
        _berkembang(ctx, m),
        _mandiri(ctx, m),
        submission_ids(m.meetings),
        len(m.meetings) > 0,
        "tidak ada laporan pertemuan (pertemuan_imp)",
        "no meeting report (pertemuan_imp)",
    )


def _sort_meetings(ctx: Context) -> _Meetings:
    r = ctx.rules
    meetings = ctx.in_period(PERTEMUAN, "pertemuan")
    held = {ctx.month(m) for m in meetings}
    return _Meetings(
        meetings=meetings,
        plan=[m for m in meetings if m.get("ada_rencana_kerja") == YA],
        minutes=[m for m in meetings if m.get("ada_notulen") == YA],
        follow=[
            m
            for m in meetings
            if m.get("tindak_lanjut_lalu") in r.meet_follow_up_done
            or m.get("jenis_pertemuan") in r.meet_evaluation_types
        ],
        missing_months=[m for m in ctx.months if m not in held],
    )


def _share(part: int, whole: int) -> float:
    return part / whole if whole else 0.0


def _pct(share: float) -> str:
    return f"{share * 100:.0f}%"


def _share_check(code: str, part: list[Facts], n: int, need: float, what: tuple) -> Check:
    what_id, what_en = what
    share = _share(len(part), n)
    return check(
        code,
        n > 0 and share >= need,
        f"{len(part)} dari {n} pertemuan {what_id} ({_pct(share)}; minimal {_pct(need)})",
        f"{len(part)} of {n} meetings {what_en} ({_pct(share)}; at least {_pct(need)})",
        submission_ids(part),
    )


def _berkembang(ctx: Context, m: _Meetings) -> list[Check]:
    r = ctx.rules
    n = len(m.meetings)
    need = r.meet_b_min_meetings[ctx.kind]
    return [
        check(
            "pertemuan.rutin",
            n >= need and n > 0,
            f"Pertemuan rutin: {n} pertemuan dalam periode (minimal {need})",
            f"Routine meetings: {n} in the period (at least {need})",
            submission_ids(m.meetings),
        ),
        _share_check(
            "pertemuan.rencana_kerja", m.plan, n, r.meet_b_min_share_rencana_kerja, _PLAN_WORDS
        ),
        _share_check("pertemuan.notulen", m.minutes, n, r.meet_b_min_share_notulen, _MINUTE_WORDS),
    ]


def _mandiri(ctx: Context, m: _Meetings) -> list[Check]:
    r = ctx.rules
    n = len(m.meetings)
    checks = []
    if r.meet_m_every_month:
        texts = with_gaps(
            "Pertemuan setiap bulan",
            "A meeting every month",
            ", ".join(m.missing_months),
            "tidak ada pertemuan pada",
            "none in",
        )
        ids = submission_ids(m.meetings)
        checks.append(check("pertemuan.bulanan", not m.missing_months, *texts, ids))
    need_follow = r.meet_m_min_follow_up_or_evaluation
    evaluation_types = ", ".join(r.meet_evaluation_types)
    return checks + [
        _share_check(
            "pertemuan.rencana_kerja_lengkap",
            m.plan,
            n,
            r.meet_m_min_share_rencana_kerja,
            _PLAN_WORDS,
        ),
        _share_check(
            "pertemuan.notulen_lengkap", m.minutes, n, r.meet_m_min_share_notulen, _MINUTE_WORDS
        ),
        check(
            "pertemuan.tindak_lanjut",
            len(m.follow) >= need_follow and n > 0,
            f"Tindak lanjut/evaluasi: {len(m.follow)} pertemuan dengan tindak lanjut terlaksana "
            f"atau evaluasi ({evaluation_types}); minimal {need_follow}",
            f"Follow-up/evaluation: {len(m.follow)} meetings with follow-up done or of an "
            f"evaluation type ({evaluation_types}); at least {need_follow}",
            submission_ids(m.follow),
        ),
    ]
