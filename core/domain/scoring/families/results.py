"""What a family assessment returns: the family's target groups, KRS factors and children."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from core.domain.scoring.families.answers import iso_date

# What stopped a child from being classified. "implausible" (WHO: |z| > 6, a measuring or
# typing error) is a measurement that exists but cannot be believed; "not_measured" has no
# measurement to score at all.
CHILD_FLAGS = ("implausible", "not_measured", "invalid_dates", "over_age")


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
    # Why the child has no category: one of CHILD_FLAGS, or None when it was classified.
    flag: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able dict."""
        return {
            "index": self.index,
            "sex": self.sex,
            "born_on": iso_date(self.born_on),
            "measured_on": iso_date(self.measured_on),
            "age_days": self.age_days,
            "height_cm": self.height_cm,
            "weight_kg": self.weight_kg,
            "measure": self.measure,
            "haz": self.haz,
            "waz": self.waz,
            "category": self.category,
            "scored": self.scored,
            "flagged": self.flagged,
            "flag": self.flag,
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
            "survey_date": iso_date(self.survey_date),
            "target": self.target,
            "target_groups": list(self.target_groups),
            "krs": self.krs,
            "factors": dict(self.factors),
            "factor_details": self.factor_details,
            "children": [child.to_dict() for child in self.children],
            "pregnancy": dict(self.pregnancy) if self.pregnancy is not None else None,
            "rules_version": self.rules_version,
        }
