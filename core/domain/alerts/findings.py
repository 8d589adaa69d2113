"""Findings that deserve an alert, read from a family's assessment or an IMP's tier change.

A finding never carries identity: the family is its pseudonymous key, a child is known by its
date of birth and sex within the family, and the values are measurements and factor names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.domain.alerts.rules import AlertRules

TIER_ORDER = {"dasar": 1, "berkembang": 2, "mandiri": 3}


@dataclass(frozen=True)
class Finding:
    """One thing to announce: its kind, the key that dedupes it, urgency and template values."""

    kind: str
    key: str
    urgent: bool = False
    values: dict[str, Any] = field(default_factory=dict)
    # False for a finding that still holds but is not news (a family that stays KRS): it keeps
    # its open alert open without raising another.
    new: bool = True


def _implausible(child: dict[str, Any]) -> bool:
    # WHO: |z| > 6 is a measuring or typing error: flagged, never classified or alerted.
    return bool(child.get("flagged")) or child.get("flag") == "implausible"


def _child_findings(family: str, children: list[dict], rules: AlertRules) -> list[Finding]:
    found = []
    for child in children:
        haz = child.get("haz")
        if haz is None or _implausible(child) or not child.get("scored", True):
            continue
        if haz >= rules.haz_below:
            continue
        subject = f"{child.get('born_on')}:{child.get('sex')}"
        found.append(
            Finding(
                "anak_di_bawah_minus_2sd",
                f"anak_di_bawah_minus_2sd:{family}:{subject}",
                urgent=haz < rules.haz_urgent_below,
                values={
                    "umur_bulan": (child.get("age_days") or 0) * 12 // 365,
                    "jk": child.get("sex") or "",
                    "tinggi_cm": child.get("height_cm"),
                    "haz": f"{haz:.2f}",
                    "kategori": child.get("category") or "",
                },
            )
        )
    return found


def _pregnancy_findings(family: str, assessment: dict, rules: AlertRules) -> list[Finding]:
    pregnancy = assessment.get("pregnancy")
    if not pregnancy:
        return []
    months = pregnancy.get("usia_kehamilan_bulan")
    common = {"usia_kehamilan": months if months is not None else "?"}
    found = []
    lila, hb = pregnancy.get("lila_cm"), pregnancy.get("hb")
    if rules.enabled["ibu_hamil_kek"] and lila is not None and lila < rules.lila_below:
        found.append(
            Finding(
                "ibu_hamil_kek",
                f"ibu_hamil_kek:{family}",
                values={**common, "lila_cm": f"{lila:g}", "batas": f"{rules.lila_below:g}"},
            )
        )
    if rules.enabled["ibu_hamil_anemia"] and hb is not None and hb < rules.hb_below:
        found.append(
            Finding(
                "ibu_hamil_anemia",
                f"ibu_hamil_anemia:{family}",
                values={**common, "hb": f"{hb:g}", "batas": f"{rules.hb_below:g}"},
            )
        )
    factors = assessment.get("factors") or {}
    terlalu = [name for name in rules.terlalu_factors if factors.get(name)]
    if rules.enabled["kehamilan_4_terlalu"] and terlalu:
        found.append(
            Finding(
                "kehamilan_4_terlalu",
                f"kehamilan_4_terlalu:{family}",
                values={**common, "terlalu": terlalu},
            )
        )
    return found


def family_findings(
    assessment: dict[str, Any], rules: AlertRules, *, newly_krs: bool
) -> list[Finding]:
    """Findings in a family's current assessment (`FamilyAssessment.to_dict()` shape).

    `newly_krs`: the family was not KRS before this survey (the caller knows its history).
    """
    family = assessment.get("family") or ""
    found: list[Finding] = []
    if rules.enabled["anak_di_bawah_minus_2sd"]:
        found += _child_findings(family, assessment.get("children") or [], rules)
    found += _pregnancy_findings(family, assessment, rules)
    if assessment.get("krs") and rules.enabled["krs_baru"]:
        factors = [k for k, v in (assessment.get("factors") or {}).items() if v]
        # Keyed by family, not by survey: while the family stays KRS the alert stays open.
        found.append(
            Finding("krs_baru", f"krs_baru:{family}", values={"faktor": factors}, new=newly_krs)
        )
    return found


# A child the survey could not score for want of a measurement (or with one that cannot be
# right): its earlier finding is neither confirmed nor cleared. Aged 60 months or more is an
# answer: the child has left the programme's age range, and its alert closes.
_CHILD_UNDETERMINED = {"not_measured", "invalid_dates", "implausible"}


def undetermined(assessment: dict[str, Any]) -> set[str]:
    """Keys of findings an assessment neither shows nor clears: what it did not measure.

    LiLA and Hb are optional in the survey, and a child may go unmeasured on a visit: "not
    measured" is neither a finding nor an all-clear, so an open alert on it stays open until a
    later measurement clears it (or the pregnancy has ended, or the child has turned five).
    """
    family = assessment.get("family") or ""
    keys = {
        f"anak_di_bawah_minus_2sd:{family}:{child.get('born_on')}:{child.get('sex')}"
        for child in assessment.get("children") or []
        if child.get("flag") in _CHILD_UNDETERMINED
    }
    pregnancy = assessment.get("pregnancy")
    if pregnancy:
        if pregnancy.get("lila_cm") is None:
            keys.add(f"ibu_hamil_kek:{family}")
        if pregnancy.get("hb") is None:
            keys.add(f"ibu_hamil_anemia:{family}")
    return keys


def tier_drop_key(imp: str, period: str) -> str:
    """The finding key of an IMP's dropped tier in a period (closed when it rises again)."""
    return f"tingkat_imp_turun:{imp}:{period}"


def tier_change_finding(
    imp: str, period: str, before: str | None, after: str, rules: AlertRules
) -> Finding | None:
    """A tier that dropped (a first assessment or a rise is no finding)."""
    if not rules.enabled["tingkat_imp_turun"] or before is None:
        return None
    if TIER_ORDER.get(after, 0) >= TIER_ORDER.get(before, 0):
        return None
    return Finding(
        "tingkat_imp_turun",
        tier_drop_key(imp, period),
        values={"imp_code": imp, "periode": period, "dari": before, "ke": after},
    )
