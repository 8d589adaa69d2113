"""Criteria checks shared by the role scorers, and how checks become a RoleScore."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from core.domain.facts import Facts
from core.domain.scoring.imp.results import Criterion, RoleScore


@dataclass(frozen=True)
class Check:
    """One criterion and whether the evidence meets it."""

    criterion: Criterion
    met: bool


def check(code: str, met: Any, text_id: str, text_en: str, ids: Iterable[int] = ()) -> Check:
    """Build a Check; `ids` are the submissions behind it (kept sorted, once each)."""
    return Check(Criterion(code, text_id, text_en, tuple(sorted(set(ids)))), bool(met))


def with_gaps(text_id: str, text_en: str, gaps: str, gap_id: str, gap_en: str) -> tuple[str, str]:
    """Return a criterion's two texts ending with what is missing, or with "met" when nothing is."""
    if gaps:
        return f"{text_id}; {gap_id} {gaps}", f"{text_en}; {gap_en} {gaps}"
    return f"{text_id}: terpenuhi", f"{text_en}: met"


def submission_ids(facts: Iterable[Facts]) -> list[int]:
    """Return the sorted, distinct submission ids of some facts."""
    return sorted({f.submission_id for f in facts})


def as_count(value: Any) -> float:
    """Return a count answer as a number; unanswered counts contribute nothing."""
    return value if isinstance(value, int | float) and not isinstance(value, bool) else 0


def score_from_checks(
    role: str,
    berkembang: list[Check],
    mandiri: list[Check],
    evidence: Iterable[int],
    has_evidence: bool,
    missing_id: str,
    missing_en: str,
) -> RoleScore:
    """Turn checks into a RoleScore: level 2 needs every berkembang check, 3 needs all."""
    if not has_evidence:
        none = Criterion(
            f"{role}.tanpa_bukti",
            f"Tidak ada bukti pada periode ini: {missing_id}. Peran dinilai Dasar (1).",
            f"No evidence in this period: {missing_en}. The role is rated Dasar (1).",
        )
        # Criteria on an empty period must not pass vacuously (e.g. "every activity recorded").
        berkembang = [Check(c.criterion, False) for c in berkembang]
        mandiri = [Check(c.criterion, False) for c in mandiri]
        unmet = [none] + [c.criterion for c in berkembang + mandiri]
        return RoleScore(1, [], unmet, [], [c.criterion for c in berkembang], no_evidence=True)
    b_ok = all(c.met for c in berkembang)
    m_ok = all(c.met for c in mandiri)
    level = 3 if b_ok and m_ok else 2 if b_ok else 1
    checks = berkembang + mandiri
    if level == 1:
        missing = [c.criterion for c in berkembang if not c.met]
    elif level == 2:
        missing = [c.criterion for c in mandiri if not c.met]
    else:
        missing = []
    return RoleScore(
        level=level,
        met=[c.criterion for c in checks if c.met],
        not_met=[c.criterion for c in checks if not c.met],
        evidence=sorted(set(evidence)),
        next_tier_missing=missing,
    )
