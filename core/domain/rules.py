"""The rules files in force, read together: the IMP rubric and the KRS factors."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.domain.scoring import ImpRules, KrsRules, load_imp_rules, load_krs_rules


@dataclass(frozen=True)
class Rules:
    """Every rules file a district can edit (`PANTAU_RULES_DIR`), validated."""

    imp: ImpRules
    krs: KrsRules

    @classmethod
    def load(cls, rules_dir: Path) -> Rules:
        """Read and validate every rules file in rules_dir; RulesError names a bad one."""
        return cls(
            imp=load_imp_rules(rules_dir / "imp_rubric.toml"),
            krs=load_krs_rules(rules_dir / "krs.toml"),
        )
