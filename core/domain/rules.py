"""The rules files in force, read together: IMP rubric, KRS factors, alerts and their texts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.domain.alerts import AlertRules, Messages, load_alert_rules, load_messages
from core.domain.scoring import ImpRules, KrsRules, load_imp_rules, load_krs_rules


@dataclass(frozen=True)
class Rules:
    """Every rules file a district can edit (`PANTAU_RULES_DIR`), validated."""

    imp: ImpRules
    krs: KrsRules
    alerts: AlertRules
    messages: Messages

    @classmethod
    def load(cls, rules_dir: Path) -> Rules:
        """Read and validate every rules file in rules_dir; RulesError names a bad one."""
        return cls(
            imp=load_imp_rules(rules_dir / "imp_rubric.toml"),
            krs=load_krs_rules(rules_dir / "krs.toml"),
            alerts=load_alert_rules(rules_dir / "alerts.toml"),
            messages=load_messages(rules_dir / "alert_messages.toml"),
        )
