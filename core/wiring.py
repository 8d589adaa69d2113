"""The one bootstrap: what every adapter (tasks, CLI, web) builds from settings."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from core.clients.central import CentralClient
from core.clients.kobo import KoboClient
from core.domain.privacy import Keyring
from core.domain.rules import Rules
from core.store.db import make_engine, make_session_factory


@lru_cache(maxsize=4)
def _rules(rules_dir: Path) -> Rules:
    return Rules.load(rules_dir)


def rules_for(settings: Settings) -> Rules:
    """The rules files of settings.rules_dir (read once per process)."""
    return _rules(settings.rules_dir)


def keyring_for(settings: Settings) -> Keyring:
    """The pseudonym keys in force (previous ones first, then the current key)."""
    return Keyring(settings.pseudonym_keys)


def sessions_for(settings: Settings) -> sessionmaker[Session]:
    """A session factory on the configured database (one engine per call: cache per process)."""
    return make_session_factory(make_engine(settings))


def client_for(settings: Settings, server: str) -> KoboClient | CentralClient:
    """The client of a collection server ("kobo" or "central") named by settings."""
    if server == "central":
        return CentralClient.from_settings(settings)
    return KoboClient.from_settings(settings)
