"""KRS risk factors: each one a yes/no with the answers and thresholds behind it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from core.domain.scoring.families.answers import TIDAK, as_number, iso_date
from core.domain.scoring.families.rules import FACTORS, KrsRules
from core.domain.scoring.families.spacing import Births, too_close

Factor = tuple[bool, dict[str, Any]]


@dataclass(frozen=True)
class Household:
    """What the factors read: the survey's answers and date, the wife and the latest births."""

    values: dict[str, Any]
    survey: date
    wife_born: date | None
    wife_age: int | None
    pus: bool
    pregnant: bool
    births: Births


def krs_factors(h: Household, rules: KrsRules) -> tuple[dict[str, bool], dict[str, Any]]:
    """Return the enabled factors as yes/no, and per factor the details that explain it."""
    computed = {
        **_water_and_latrine(h.values, rules),
        **_wife_age(h, rules),
        "jarak_terlalu_dekat": _too_close(h, rules),
        "anak_terlalu_banyak": _too_many(h, rules),
        "tidak_kb_modern": _no_modern_method(h, rules),
        "desil_rendah": _low_decile(h.values, rules),
        "rumah_tidak_layak": _unfit_house(h.values, rules),
        "pendidikan_ibu_rendah": _low_education(h.values, rules),
    }
    factors: dict[str, bool] = {}
    details: dict[str, dict[str, Any]] = {}
    for name in FACTORS:
        if not rules.enabled[name]:
            continue
        value, detail = computed[name]
        # A pregnant wife under pus_min_age is still of reproductive age (and too young).
        if name in rules.pus_only_factors and not (h.pus or h.pregnant):
            value = False
        factors[name] = bool(value)
        details[name] = detail
    return factors, details


def _water_and_latrine(v: dict[str, Any], rules: KrsRules) -> dict[str, Factor]:
    water, latrine = v.get("sumber_air"), v.get("jamban")
    return {
        "air_tidak_layak": (
            water is not None and water not in rules.safe_sources,
            {"sumber_air": water, "sumber_layak": list(rules.safe_sources)},
        ),
        "jamban_tidak_layak": (
            latrine is not None and latrine not in rules.proper_latrines,
            {"jamban": latrine, "jamban_layak": list(rules.proper_latrines)},
        ),
    }


def _wife_age(h: Household, rules: KrsRules) -> dict[str, Factor]:
    wife = {"tgl_lahir_istri": iso_date(h.wife_born), "umur_istri": h.wife_age, "pus": h.pus}
    return {
        "istri_terlalu_muda": (
            h.wife_age is not None and h.wife_age < rules.young_below_age,
            {**wife, "batas_bawah": rules.young_below_age},
        ),
        "istri_terlalu_tua": (
            h.wife_age is not None and h.wife_age > rules.old_above_age,
            {**wife, "batas_atas": rules.old_above_age},
        ),
    }


def _too_close(h: Household, rules: KrsRules) -> Factor:
    flagged, details = too_close(h.values, h.births, h.pregnant, h.survey, rules)
    return flagged, {**details, "pus": h.pus}


def _too_many(h: Household, rules: KrsRules) -> Factor:
    children_alive = h.values.get("jumlah_anak_hidup")
    count = as_number(children_alive)
    too_many = count is not None and (
        count > rules.many_threshold
        if rules.many_operator == ">"
        else count >= rules.many_threshold
    )
    return (
        too_many,
        {
            "jumlah_anak_hidup": children_alive,
            "aturan": f"{rules.many_operator} {rules.many_threshold}",
            "pus": h.pus,
        },
    )


def _no_modern_method(h: Household, rules: KrsRules) -> Factor:
    method = h.values.get("kb_metode")
    exempt = h.pregnant and rules.pregnant_exempt
    # An unanswered method is unknown, not evidence of non-use.
    return (
        method is not None and method not in rules.modern_methods and not exempt,
        {
            "kb_metode": method,
            "hamil": h.values.get("hamil"),
            "dikecualikan_karena_hamil": exempt,
            "pus": h.pus,
        },
    )


def _low_decile(v: dict[str, Any], rules: KrsRules) -> Factor:
    decile = as_number(v.get("desil_kesejahteraan"))
    return (
        decile is not None and decile <= rules.max_decile,
        {"desil_kesejahteraan": v.get("desil_kesejahteraan"), "desil_maks": rules.max_decile},
    )


def _unfit_house(v: dict[str, Any], rules: KrsRules) -> Factor:
    area, people = as_number(v.get("luas_lantai_m2")), as_number(v.get("jumlah_penghuni"))
    per_person = round(area / people, 2) if area is not None and people else None
    crowded = per_person is not None and per_person < rules.min_m2_per_person
    unfit_parts = [p for p in rules.building_parts if v.get(p) == TIDAK]
    return (
        crowded or bool(unfit_parts),
        {
            "luas_lantai_m2": v.get("luas_lantai_m2"),
            "jumlah_penghuni": v.get("jumlah_penghuni"),
            "m2_per_orang": per_person,
            "batas_m2_per_orang": rules.min_m2_per_person,
            **{p: v.get(p) for p in rules.building_parts},
            "tidak_layak": unfit_parts,
        },
    )


def _low_education(v: dict[str, Any], rules: KrsRules) -> Factor:
    education = v.get("pendidikan_ibu")
    return (
        education is not None and education in rules.low_education,
        {"pendidikan_ibu": education, "di_bawah_smp": list(rules.low_education)},
    )
