"""About twenty keluarga_risiko surveys, crafted against config/rules/krs.toml.

Two kelurahan, ten families each: about half at risk of stunting, for different reasons, and one
stunted child.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from demo.samples.common import DASAR, MANDIRI, SampleSubmission, day_of_month, header


@dataclass(frozen=True)
class _Family:
    wife_age: int
    children: int
    youngest_months: int | None  # age of the youngest child, months
    kb: str  # kb_metode ("" when pregnant)
    water: str
    latrine: str
    pregnant: bool = False
    child: tuple[str, int, float, float] | None = None  # (sex, age days, height cm, weight kg)
    # Months between the birth before the youngest and the youngest's (with 2+ children).
    elder_gap_months: int = 30


# Ten families per kelurahan: about half at risk, for different reasons. Families without a
# measured child have no child under five. A first child under two is not a risk by itself;
# births too close need two births (or a pregnancy after the youngest).
_FAMILIES: dict[str, list[_Family]] = {
    MANDIRI: [
        # The stunted boy: 682 days, 78.0 cm lying (z = -2.84, pendek); unprotected well.
        _Family(
            29, 2, 22, "suntik", "sumur_tidak_terlindung", "septik", child=("l", 682, 78.0, 9.4)
        ),
        _Family(31, 2, 40, "implan", "ledeng", "septik", child=("p", 1220, 92.5, 13.1)),
        _Family(27, 1, 9, "pil", "kemasan", "septik", child=("l", 280, 70.0, 8.4)),
        _Family(18, 1, 5, "tidak_ada", "sumur_bor", "septik", child=("p", 150, 61.0, 5.9)),
        _Family(38, 4, 70, "iud", "ledeng", "septik"),
        _Family(33, 2, 62, "suntik", "sumur_terlindung", "tanpa_septik"),
        # Births too close: the girl was born 16 months after her brother.
        _Family(
            25,
            2,
            14,
            "kondom",
            "kemasan",
            "septik",
            child=("p", 430, 74.5, 8.9),
            elder_gap_months=16,
        ),
        _Family(30, 3, 66, "implan", "ledeng", "septik"),
        _Family(24, 0, None, "", "sumur_bor", "septik", pregnant=True),
        _Family(35, 2, 72, "mow", "kemasan", "septik"),
    ],
    DASAR: [
        _Family(
            22,
            2,
            13,
            "tidak_ada",
            "sungai",
            "tidak_ada",
            child=("l", 400, 75.0, 9.6),
            elder_gap_months=15,
        ),
        _Family(28, 2, 64, "suntik", "ledeng", "septik"),
        _Family(34, 3, 61, "pil", "sumur_tidak_terlindung", "tanpa_septik"),
        _Family(26, 1, 7, "suntik", "kemasan", "septik", child=("p", 210, 64.0, 7.0)),
        _Family(40, 5, 80, "tradisional", "ledeng", "septik"),
        _Family(29, 2, 68, "implan", "sumur_bor", "septik"),
        # Pregnant at 19 with chronic energy deficiency (LiLA < 23.5 cm).
        _Family(19, 0, None, "", "ledeng", "septik", pregnant=True),
        _Family(32, 2, 75, "iud", "mata_air_tidak_terlindung", "septik"),
        # Pregnant again 17 months after her first child: the delivery is due 21 months after it.
        _Family(27, 1, 17, "", "kemasan", "septik", pregnant=True, child=("l", 520, 80.0, 10.5)),
        _Family(36, 3, 90, "suntik", "ledeng", "septik"),
    ],
}


def _years_ago(today: date, years: int, days_more: int = 40) -> date:
    return date(today.year - years, today.month, min(today.day, 28)) - timedelta(days=days_more)


def _survey(desa: str, n: int, f: _Family, today: date) -> SampleSubmission:
    """The n-th family's keluarga_risiko survey in desa."""
    segment = desa.replace(".", "")  # 3277011001
    survey = day_of_month(today, 3 + n)
    no_kk = f"{segment}{200000 + n:06d}"
    answers: dict[str, Any] = {
        **header(desa, survey),
        "keluarga/rw": f"{(n % 4) + 1:03d}",
        "keluarga/rt": f"{(n % 3) + 1:03d}",
        "keluarga/no_kk": no_kk,
        "istri/tgl_lahir_istri": _years_ago(survey, f.wife_age).isoformat(),
        "istri/jumlah_anak_hidup": str(f.children),
    }
    if f.children and f.youngest_months is not None:
        youngest = survey - timedelta(days=round(f.youngest_months * 30.4375))
        if f.child is not None:
            youngest = survey - timedelta(days=f.child[1])
        answers["istri/tgl_lahir_anak_bungsu"] = youngest.isoformat()
        if f.children >= 2:
            elder = youngest - timedelta(days=round(f.elder_gap_months * 30.4375))
            answers["istri/tgl_lahir_anak_sebelum_bungsu"] = elder.isoformat()
    answers["istri/pendidikan_ibu"] = "sma" if n % 3 else "smp"
    answers["istri/hamil"] = "ya" if f.pregnant else "tidak"
    if f.pregnant:
        answers["kehamilan/usia_kehamilan_bulan"] = "5"
        # One of them with chronic energy deficiency (LiLA < 23.5 cm).
        answers["kehamilan/lila_cm"] = "22.8" if f.wife_age < 20 else "25.1"
        answers["kehamilan/hb"] = "11.6" if f.wife_age < 20 else "12.4"
    else:
        answers["kb/kb_metode"] = f.kb
        if f.kb in ("tidak_ada", "tradisional"):
            answers["kb/alasan_tidak_kb"] = "ingin_anak" if f.children < 2 else "efek_samping"
    answers.update(_house(f))
    if f.child is not None:
        answers["anak"] = [_child(f.child, survey)]
    return SampleSubmission("keluarga_risiko", f"keluarga/{no_kk}", answers)


def _house(f: _Family) -> dict[str, Any]:
    """The house section of a family's survey."""
    return {
        "rumah/sumber_air": f.water,
        "rumah/jamban": f.latrine,
        "rumah/luas_lantai_m2": "36" if f.children < 3 else "42",
        "rumah/jumlah_penghuni": str(2 + f.children),
        "rumah/atap_layak": "ya",
        "rumah/dinding_layak": "ya",
        "rumah/lantai_layak": "ya" if f.latrine == "septik" else "tidak",
        "ada_balita": "ya" if f.child else "tidak",
    }


def _child(child: tuple[str, int, float, float], survey: date) -> dict[str, Any]:
    """One repeat of the child-measurement group, measured on the survey day."""
    sex, age_days, height, weight = child
    return {
        "anak/jk": sex,
        "anak/tgl_lahir_anak": (survey - timedelta(days=age_days)).isoformat(),
        "anak/tgl_ukur": survey.isoformat(),
        "anak/cara_ukur": "berbaring" if age_days < 731 else "berdiri",
        "anak/tinggi_cm": f"{height:.1f}",
        "anak/berat_kg": f"{weight:.1f}",
    }


def family_samples(today: date) -> list[SampleSubmission]:
    """About twenty keluarga_risiko surveys in two kelurahan, some at risk, one child stunted."""
    return [
        _survey(desa, n, f, today)
        for desa, families in _FAMILIES.items()
        for n, f in enumerate(families, start=1)
    ]
