"""Role 6, kemandirian (self-reliance): efforts such as dues, savings, own funding, secretariat."""

from __future__ import annotations

from core.domain.scoring.imp.checks import check, score_from_checks
from core.domain.scoring.imp.context import NO_PROFILE, Context
from core.domain.scoring.imp.results import RoleScore


def score_kemandirian(ctx: Context) -> RoleScore:
    """Rate self-reliance from the efforts listed in the applicable IMP profile."""
    r, profile = ctx.rules, ctx.profile
    ids = ctx.profile_ids
    answered = (profile.get("upaya_kemandirian") or []) if profile else []
    efforts = list(dict.fromkeys(e for e in answered if e != "tidak_ada"))
    own = [e for e in efforts if e in r.self_m_dana_sendiri_atau_sekretariat]
    listed = ", ".join(efforts) or "tidak ada"
    berkembang = [
        check(
            "kemandirian.upaya",
            len(efforts) >= r.self_b_min_upaya,
            f"Upaya kemandirian: {len(efforts)} ({listed}); minimal {r.self_b_min_upaya}",
            f"Self-reliance efforts: {len(efforts)} ({listed}); at least {r.self_b_min_upaya}",
            ids,
        )
    ]
    mandiri = [
        check(
            "kemandirian.upaya_mandiri",
            len(efforts) >= r.self_m_min_upaya,
            f"Upaya kemandirian: {len(efforts)}; minimal {r.self_m_min_upaya} untuk Mandiri",
            f"Self-reliance efforts: {len(efforts)}; at least {r.self_m_min_upaya} for Mandiri",
            ids,
        ),
        check(
            "kemandirian.dana_sendiri_atau_sekretariat",
            bool(own),
            f"Dana sendiri atau sekretariat ({', '.join(r.self_m_dana_sendiri_atau_sekretariat)})"
            f": {', '.join(own) or 'belum ada'}",
            f"Own funding or secretariat ({', '.join(r.self_m_dana_sendiri_atau_sekretariat)})"
            f": {', '.join(own) or 'none'}",
            ids,
        ),
    ]
    return score_from_checks(
        "kemandirian", berkembang, mandiri, ids, profile is not None, *NO_PROFILE
    )
