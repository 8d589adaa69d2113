"""Pregnancy flags: chronic energy deficiency (LiLA), anaemia (Hb) and the 4 Terlalu."""

from __future__ import annotations

from typing import Any

from core.domain.scoring.families.answers import as_number
from core.domain.scoring.families.rules import FOUR_TERLALU, KrsRules


def pregnancy_flags(v: dict[str, Any], factors: dict[str, bool], rules: KrsRules) -> dict[str, Any]:
    """Return a pregnant wife's measurements and flags (None where a value was not measured)."""
    lila, hb = as_number(v.get("lila_cm")), as_number(v.get("hb"))
    return {
        "usia_kehamilan_bulan": v.get("usia_kehamilan_bulan"),
        "lila_cm": lila,
        "hb": hb,
        # None = not measured; an unmeasured value is neither a finding nor an all-clear.
        "kek": lila < rules.lila_kek_below if lila is not None else None,
        "anemia": hb < rules.hb_anemia_below if hb is not None else None,
        "terlalu": [name for name in FOUR_TERLALU if factors.get(name)],
    }
