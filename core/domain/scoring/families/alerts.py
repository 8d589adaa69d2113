"""Immediate-alert reasons found in a family assessment: a stunted child, a pregnancy at risk."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.domain.scoring.families.results import ChildAssessment, FamilyAssessment


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


def alert_reasons(assessment: FamilyAssessment) -> list[AlertReason]:
    """List immediate-alert triggers (a newly flagged KRS needs history: the caller checks it)."""
    reasons = [_stunted(child) for child in assessment.children if _is_stunted(child)]
    if assessment.pregnancy is not None:
        reasons += _pregnancy_reasons(assessment.pregnancy)
    return reasons


def _is_stunted(child: ChildAssessment) -> bool:
    return child.category in ("pendek", "sangat_pendek")


def _stunted(child: ChildAssessment) -> AlertReason:
    return AlertReason(
        "anak_di_bawah_minus_2sd",
        f"Anak ke-{child.index + 1} ({child.age_days} hari) TB/U z = {child.haz:.2f}: "
        f"{child.category.replace('_', ' ')}",
        f"Child #{child.index + 1} ({child.age_days} days) height-for-age "
        f"z = {child.haz:.2f}: {child.category}",
        {"index": child.index, "haz": child.haz, "category": child.category},
    )


def _pregnancy_reasons(p: dict[str, Any]) -> list[AlertReason]:
    reasons: list[AlertReason] = []
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
