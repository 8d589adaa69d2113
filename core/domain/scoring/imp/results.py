"""What an IMP assessment returns: criteria, each role's score and the IMP's tier."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ROLES = (
    "pengorganisasian",
    "pertemuan",
    "kie_konseling",
    "pencatatan",
    "pelayanan",
    "kemandirian",
)
TIERS = {1: "dasar", 2: "berkembang", 3: "mandiri"}


@dataclass(frozen=True)
class Criterion:
    """One rubric criterion, worded for admins (Indonesian) and developers (English)."""

    code: str
    text_id: str
    text_en: str
    evidence: tuple[int, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able dict."""
        return {
            "code": self.code,
            "text_id": self.text_id,
            "text_en": self.text_en,
            "evidence": list(self.evidence),
        }


@dataclass(frozen=True)
class RoleScore:
    """The level of one role with the reasons behind it."""

    level: int
    met: list[Criterion]
    not_met: list[Criterion]
    evidence: list[int]
    next_tier_missing: list[Criterion]
    no_evidence: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-able dict with the full explanation."""
        return {
            "level": self.level,
            "tier": TIERS[self.level],
            "no_evidence": self.no_evidence,
            "evidence": list(self.evidence),
            "met": [c.to_dict() for c in self.met],
            "not_met": [c.to_dict() for c in self.not_met],
            "next_tier_missing": [c.to_dict() for c in self.next_tier_missing],
        }


@dataclass(frozen=True)
class ImpAssessment:
    """The tier of one IMP for one period, with each role's score."""

    imp: str
    period: str
    tier: str
    roles: dict[str, RoleScore]
    rules_version: str
    period_kind: str = "month"
    # The registry's kind (ppkbd, sub_ppkbd, kelompok_kb); None for an unregistered IMP.
    imp_kind: str | None = None
    # Notes on the whole assessment (e.g. no report received in the period).
    notes: tuple[Criterion, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the compact JSON shape: {imp, period, period_kind, tier, roles: {role: level}}."""
        return {
            "imp": self.imp,
            "period": self.period,
            "period_kind": self.period_kind,
            "tier": self.tier,
            "roles": {role: score.level for role, score in self.roles.items()},
            "rules_version": self.rules_version,
        }

    def explain(self) -> dict[str, Any]:
        """Return the full explanation: per role the criteria, evidence and what is missing."""
        lowest = [role for role, score in self.roles.items() if TIERS[score.level] == self.tier]
        return {
            "imp": self.imp,
            "imp_kind": self.imp_kind,
            "period": self.period,
            "period_kind": self.period_kind,
            "tier": self.tier,
            "rules_version": self.rules_version,
            "limited_by": lowest,
            "notes": [note.to_dict() for note in self.notes],
            "roles": {role: score.to_dict() for role, score in self.roles.items()},
        }
