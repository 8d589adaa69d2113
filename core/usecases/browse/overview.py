"""The overview of a user's wilayah: IMP tiers per kecamatan/kelurahan, KRS families by factor."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy.orm import Session

from core.domain.access import Scope
from core.store import browse
from core.usecases.browse.places import Names, unit_of, units_of

TIER_KEYS = ("dasar", "berkembang", "mandiri", "none")


def overview(session: Session, scope: Scope) -> dict[str, Any]:
    """Numbers of scope grouped one level below it (see `units_of`), and totals."""
    level, fixed = units_of(scope)
    units: dict[str, dict[str, Any]] = {}

    def unit(code: str) -> dict[str, Any]:
        key = (
            unit_of(code, level)
            if fixed is None
            else next((p for p in fixed if code == p or code.startswith(p + ".")), code)
        )
        return units.setdefault(
            key, {"code": key, "tiers": dict.fromkeys(TIER_KEYS, 0), "krs": 0, "open_alerts": 0}
        )

    for code in fixed or []:
        unit(code)
    for _imp, desa, tier in browse.current_tiers(session, scope=scope):
        unit(desa)["tiers"][tier or "none"] += 1
    factors: Counter[str] = Counter()
    stunted = 0
    krs = browse.krs_families(session, scope=scope)
    for family, survey in krs:
        unit(family.desa_code)["krs"] += 1
        factors.update(k for k, v in (survey.factors or {}).items() if v)
        children = (survey.details or {}).get("children", [])
        stunted += sum(c.get("category") in ("pendek", "sangat_pendek") for c in children)
    for desa, n in browse.open_alert_counts(session, scope=scope).items():
        unit(desa)["open_alerts"] += n
    names = Names(session, list(units) + list(scope.prefixes or ()))
    rows = [{**u, "name": names(u["code"])} for _, u in sorted(units.items())]
    return {
        "scope": [{"code": p, "name": names(p)} for p in scope.prefixes or ()],
        "families_visible": scope.families,
        "level": level,
        "units": rows,
        "tiers": {k: sum(u["tiers"][k] for u in rows) for k in TIER_KEYS},
        "krs_families": len(krs),
        "stunted_children": stunted,
        "krs_factors": [{"factor": f, "families": n} for f, n in factors.most_common()],
        "open_alerts": sum(u["open_alerts"] for u in rows),
    }
