"""The alert rules file (`config/rules/alerts.toml`), validated."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.domain.scoring.rules_file import Table, read_toml

FINDINGS = (
    "anak_di_bawah_minus_2sd",
    "ibu_hamil_kek",
    "ibu_hamil_anemia",
    "kehamilan_4_terlalu",
    "krs_baru",
    "tingkat_imp_turun",
)
FOUR_TERLALU = (
    "istri_terlalu_muda",
    "istri_terlalu_tua",
    "jarak_terlalu_dekat",
    "anak_terlalu_banyak",
)


@dataclass(frozen=True)
class AlertRules:
    """Which findings alert, their thresholds, the dedupe window and the digest's time."""

    version: str
    window_days: int
    digest_weekday: int
    digest_hour_utc: int
    enabled: dict[str, bool]
    haz_below: float
    haz_urgent_below: float
    lila_below: float
    hb_below: float
    terlalu_factors: tuple[str, ...]
    source: str = field(default="", compare=False)


def _finding(findings: Table, name: str) -> tuple[Table, bool]:
    table = findings.table(name)
    return table, table.boolean("enabled")


def load_alert_rules(path: str | Path) -> AlertRules:
    """Read and validate an alert rules file; RulesError names a bad key."""
    data, source = read_toml(path)
    top = Table(data, "", source)
    version = top.string("version")
    dedupe, digest, findings = top.table("dedupe"), top.table("digest"), top.table("findings")
    values: dict[str, Any] = {
        "window_days": dedupe.integer("window_days", 0, 3650),
        "digest_weekday": digest.integer("weekday", 1, 7),
        "digest_hour_utc": digest.integer("hour_utc", 0, 23),
    }
    enabled: dict[str, bool] = {}
    child, enabled["anak_di_bawah_minus_2sd"] = _finding(findings, "anak_di_bawah_minus_2sd")
    values["haz_below"] = child.number("haz_below", -6, 0)
    values["haz_urgent_below"] = child.number("urgent_below", -6, 0)
    kek, enabled["ibu_hamil_kek"] = _finding(findings, "ibu_hamil_kek")
    values["lila_below"] = kek.number("lila_below", 10, 40)
    anaemia, enabled["ibu_hamil_anemia"] = _finding(findings, "ibu_hamil_anemia")
    values["hb_below"] = anaemia.number("hb_below", 3, 20)
    terlalu, enabled["kehamilan_4_terlalu"] = _finding(findings, "kehamilan_4_terlalu")
    values["terlalu_factors"] = terlalu.strings("factors", FOUR_TERLALU)
    krs, enabled["krs_baru"] = _finding(findings, "krs_baru")
    tier, enabled["tingkat_imp_turun"] = _finding(findings, "tingkat_imp_turun")
    for table in (child, kek, anaemia, terlalu, krs, tier, findings, dedupe, digest):
        table.done()
    top.done()
    return AlertRules(version=version, enabled=enabled, source=source, **values)
