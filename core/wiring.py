"""Wiring shared by every adapter (tasks, CLI, web): rules, downstream steps, remote clients."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from config.settings import Settings
from core.usecases.assessments import Rules, make_downstream
from core.usecases.processing import Downstream


@lru_cache(maxsize=4)
def _rules(rules_dir: Path) -> Rules:
    return Rules.load(rules_dir)


def rules_for(settings: Settings) -> Rules:
    """The rules files of settings.rules_dir (read once per process)."""
    return _rules(settings.rules_dir)


def downstream_for(settings: Settings) -> Downstream:
    """Processing steps (scoring) configured by settings."""
    return make_downstream(rules_for(settings))
