"""The KRS rules: read and validate config/rules/krs.toml into a KrsRules."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from core.domain.scoring.rules_file import Table, read_sections, read_toml

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
BUILDING_PARTS = ("atap_layak", "dinding_layak", "lantai_layak")
DEFAULT_KRS_RULES = "krs.toml"


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
    sections = (_survey, _target, _krs, _factors, _children, _pregnancy)
    return KrsRules(version=version, **read_sections(top, sections), source=source)


def _survey(top: Table) -> dict[str, Any]:
    survey = top.table("survey")
    values = {"utc_offset_hours": survey.number("utc_offset_hours", -12, 14)}
    survey.done()
    return values


def _target(top: Table) -> dict[str, Any]:
    target = top.table("target")
    values = {
        "pus_min_age": target.integer("pus_min_age", 0, 100),
        "pus_max_age": target.integer("pus_max_age", 0, 100),
        "baduta_max_months": target.integer("baduta_max_months", 0, 60),
        "balita_max_months": target.integer("balita_max_months", 0, 60),
    }
    target.done()
    if values["pus_min_age"] > values["pus_max_age"]:
        raise top.error("'target.pus_min_age' is above 'target.pus_max_age'")
    if values["baduta_max_months"] > values["balita_max_months"]:
        raise top.error("'target.baduta_max_months' is above 'balita_max_months'")
    return values


def _krs(top: Table) -> dict[str, Any]:
    krs = top.table("krs")
    values = {"pus_only_factors": krs.strings("pus_only_factors", FACTORS, allow_empty=True)}
    krs.done()
    return values


def _factors(top: Table) -> dict[str, Any]:
    factors = top.table("factors")
    missing = [name for name in FACTORS if not factors.has(name)]
    if missing:
        raise top.error(f"missing table(s) {', '.join('factors.' + m for m in missing)}")
    t = {name: factors.table(name) for name in FACTORS}
    factors.done()
    values = {
        "enabled": {name: table.boolean("enabled") for name, table in t.items()},
        "safe_sources": t["air_tidak_layak"].strings("safe_sources"),
        "proper_latrines": t["jamban_tidak_layak"].strings("proper"),
        "young_below_age": t["istri_terlalu_muda"].integer("below_age", 0, 100),
        "old_above_age": t["istri_terlalu_tua"].integer("above_age", 0, 100),
        "close_below_months": t["jarak_terlalu_dekat"].integer("below_months", 0, 120),
        "many_operator": t["anak_terlalu_banyak"].string("operator", (">", ">=")),
        "many_threshold": t["anak_terlalu_banyak"].integer("threshold", 0),
        "modern_methods": t["tidak_kb_modern"].strings("modern_methods"),
        "pregnant_exempt": t["tidak_kb_modern"].boolean("pregnant_exempt"),
        "max_decile": t["desil_rendah"].integer("max_decile", 1, 10),
        "min_m2_per_person": t["rumah_tidak_layak"].number("min_m2_per_person", 0),
        "building_parts": t["rumah_tidak_layak"].strings(
            "building_parts", BUILDING_PARTS, allow_empty=True
        ),
        "low_education": t["pendidikan_ibu_rendah"].strings("low_levels"),
    }
    for table in t.values():
        table.done()
    return values


def _children(top: Table) -> dict[str, Any]:
    children = top.table("children")
    values = {"child_max_age_days": children.integer("max_age_days", 0, 1856)}
    haz = children.table("haz")
    values.update(
        haz_sangat_pendek_below=haz.number("sangat_pendek_below"),
        haz_pendek_below=haz.number("pendek_below"),
        haz_tinggi_above=haz.number("tinggi_above"),
    )
    haz.done()
    children.done()
    if not values["haz_sangat_pendek_below"] <= values["haz_pendek_below"]:
        raise top.error("'children.haz.sangat_pendek_below' is above 'pendek_below'")
    if not values["haz_pendek_below"] < values["haz_tinggi_above"]:
        raise top.error("'children.haz.pendek_below' is not below 'tinggi_above'")
    return values


def _pregnancy(top: Table) -> dict[str, Any]:
    pregnancy = top.table("pregnancy")
    values = {
        "lila_kek_below": pregnancy.number("lila_kek_below", 0),
        "hb_anemia_below": pregnancy.number("hb_anemia_below", 0),
    }
    pregnancy.done()
    return values
