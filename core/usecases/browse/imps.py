"""IMPs as the web shows them: current tier, history, and one period's six roles explained."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.domain.access import Scope
from core.domain.scoring.imp.results import ROLES
from core.store import browse
from core.store.models import Institution, TierAssessment
from core.usecases.browse.errors import NotVisible
from core.usecases.browse.paging import Page, choice, decode_cursor, flag, page_of, scan
from core.usecases.browse.places import Names

KINDS = ("ppkbd", "sub_ppkbd", "kelompok_kb")
TIERS = ("dasar", "berkembang", "mandiri", "none")


def _row(imp: Institution, tiers: list[TierAssessment], names: Names, parents: dict) -> dict:
    latest = tiers[-1] if tiers else None
    return {
        "code": imp.code,
        "name": imp.name,
        "kind": imp.kind,
        **names.place(imp.desa_code),
        "rw": imp.rw,
        "rt": imp.rt,
        "parent": parents.get(imp.parent_id),
        "active": imp.active,
        "tier": latest.tier if latest else None,
        "period": latest.period if latest else None,
    }


def imp_list(
    session: Session, scope: Scope, *, cursor: str | None, limit: int, query: dict[str, Any]
) -> Page:
    """IMPs inside scope by code, with their current tier; filters kind, tier, active."""
    kind = choice(query.get("kind"), "kind", KINDS)
    tier = choice(query.get("tier"), "tier", TIERS)
    active = flag(query.get("active"), "active")
    active = True if active is None else active
    names = Names(session)
    tiers: dict[str, list[TierAssessment]] = {}

    def fetch(after: str | None, n: int) -> list[Institution]:
        rows = browse.imps_page(
            session, scope=scope, after=after, limit=n, kind=kind, active=active
        )
        tiers.update(browse.tiers_of(session, [r.code for r in rows]))
        return rows

    def keep(rows: list[Institution]) -> list[Institution]:
        if tier is None:
            return rows
        want = None if tier == "none" else tier
        return [r for r in rows if (tiers[r.code][-1].tier if tiers[r.code] else None) == want]

    rows = scan(fetch, lambda r: r.code, keep, decode_cursor(cursor, str), limit)
    names.load(r.desa_code for r in rows)
    parents = browse.imp_codes(session, (r.parent_id for r in rows))
    return page_of(rows, limit, lambda r: r.code, lambda r: _row(r, tiers[r.code], names, parents))


def imp_detail(
    session: Session, scope: Scope, code: str, period: str | None = None
) -> dict[str, Any]:
    """One IMP inside scope: its tier per period, and one period's roles with their reasons."""
    imp = browse.imp_get(session, code, scope=scope)
    if imp is None:
        raise NotVisible(f"no IMP {code}")
    history = browse.tiers_of(session, [code])[code]
    names = Names(session, [imp.desa_code])
    parents = browse.imp_codes(session, [imp.parent_id])
    shown = next((t for t in history if t.period == period), None) if period else None
    if period and shown is None:
        raise NotVisible(f"no tier of {code} for period {period}")
    shown = shown or (history[-1] if history else None)
    return {
        **_row(imp, history, names, parents),
        "history": [
            {
                "period": t.period,
                "tier": t.tier,
                "roles": {r: t.roles.get(r) for r in ROLES},
                "computed_at": t.computed_at.isoformat(),
            }
            for t in history
        ],
        "assessment": _explained(shown) if shown else None,
    }


def _explained(t: TierAssessment) -> dict[str, Any]:
    explanation = t.explanation or {}
    roles = explanation.get("roles", {})
    return {
        "period": t.period,
        "tier": t.tier,
        "rules_version": t.rules_version,
        "computed_at": t.computed_at.isoformat(),
        "limited_by": explanation.get("limited_by", []),
        "roles": [{"role": r, **roles[r]} for r in ROLES if r in roles],
    }
