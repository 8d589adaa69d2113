"""Families as the web shows them: only the pseudonymous key, never a KK number or a name.

Pantau holds no identity to show: intake replaced the KK number with a keyed hash.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from core.domain.access import Scope
from core.store import browse
from core.store.models import Family, RiskAssessment
from core.usecases.alerts import alert_row
from core.usecases.browse.errors import BadQuery, NotVisible
from core.usecases.browse.paging import Page, choice, decode_cursor, flag, page_of, scan
from core.usecases.browse.places import Names

CHILD_STATUS = ("stunted", "sangat_pendek", "pendek", "normal", "tinggi")
_FACTOR = re.compile(r"^[a-z_]{1,40}$")


def _children(details: dict[str, Any]) -> list[dict[str, Any]]:
    # Age, sex and the measurement: what a TPPS needs, without the birth date.
    return [
        {
            "index": c.get("index"),
            "sex": c.get("sex"),
            "age_days": c.get("age_days"),
            "measured_on": c.get("measured_on"),
            "height_cm": c.get("height_cm"),
            "haz": c.get("haz"),
            "category": c.get("category"),
            "flagged": bool(c.get("flagged")),
        }
        for c in details.get("children", [])
    ]


def _survey(a: RiskAssessment) -> dict[str, Any]:
    details = a.details or {}
    return {
        "survey_date": a.surveyed_on.isoformat() if a.surveyed_on else None,
        "target": a.target,
        "target_groups": details.get("target_groups", []),
        "krs": a.krs,
        "factors": sorted(k for k, v in (a.factors or {}).items() if v),
        "children": _children(details),
        "pregnancy": details.get("pregnancy"),
        "rules_version": a.rules_version,
    }


def _row(family: Family, latest: RiskAssessment | None, names: Names) -> dict[str, Any]:
    survey = _survey(latest) if latest else None
    children = survey["children"] if survey else []
    return {
        "family": family.family_key,
        **names.place(family.desa_code),
        "rw": family.rw,
        "rt": family.rt,
        "krs": family.krs,
        "factors": survey["factors"] if survey else [],
        "last_survey": survey["survey_date"] if survey else None,
        "stunted_children": sum(c["category"] in ("pendek", "sangat_pendek") for c in children),
        "children": children,
    }


def _matches(latest: RiskAssessment | None, factor: str | None, child: str | None) -> bool:
    if latest is None:
        return factor is None and child is None
    if factor and not (latest.factors or {}).get(factor):
        return False
    if child:
        wanted = {"pendek", "sangat_pendek"} if child == "stunted" else {child}
        categories = {c.get("category") for c in (latest.details or {}).get("children", [])}
        if not categories & wanted:
            return False
    return True


def family_list(
    session: Session, scope: Scope, *, cursor: str | None, limit: int, query: dict[str, Any]
) -> Page:
    """Families inside scope (KRS by default), by desa then key; filters factor, child, krs."""
    factor = query.get("factor") or None
    if factor is not None and not _FACTOR.match(factor):
        raise BadQuery("factor: a KRS factor name such as air_tidak_layak")
    child = choice(query.get("child"), "child", CHILD_STATUS)
    krs_param = query.get("krs")
    krs = None if krs_param == "all" else flag(krs_param, "krs")
    krs = True if krs_param in (None, "") else krs
    after = decode_cursor(cursor, list)
    if after is not None and (len(after) != 2 or not all(isinstance(k, str) for k in after)):
        raise BadQuery("cursor: not a cursor of this listing")
    latest: dict[int, RiskAssessment | None] = {}

    def fetch(last: Any, n: int) -> list[Family]:
        rows = browse.families_chunk(
            session, scope=scope, after=tuple(last) if last else None, limit=n, krs=krs
        )
        for fid, surveys in browse.assessments_of(session, [r.id for r in rows]).items():
            latest[fid] = surveys[-1] if surveys else None
        return rows

    def keep(rows: list[Family]) -> list[Family]:
        return [r for r in rows if _matches(latest.get(r.id), factor, child)]

    key = lambda f: [f.desa_code, f.family_key]  # noqa: E731
    rows = scan(fetch, key, keep, after, limit)
    names = Names(session, [r.desa_code for r in rows])
    return page_of(rows, limit, key, lambda r: _row(r, latest.get(r.id), names))


def family_detail(session: Session, scope: Scope, key: str) -> dict[str, Any]:
    """One family inside scope: every current survey, oldest first, and its alerts."""
    family = browse.family_get(session, key, scope=scope)
    if family is None:
        raise NotVisible(f"no family {key}")
    surveys = browse.assessments_of(session, [family.id])[family.id]
    names = Names(session, [family.desa_code])
    alerts = browse.alerts_page(
        session, scope=scope, before=None, limit=200, filters={"family_id": family.id}
    )
    return {
        **_row(family, surveys[-1] if surveys else None, names),
        "first_seen": family.first_seen.isoformat(),
        "history": [_survey(a) for a in surveys],
        "alerts": [alert_row(a) for a in alerts],
    }
