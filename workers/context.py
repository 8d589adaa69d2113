"""Per-process database access for tasks: one engine per worker process, a session per task."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from celery import Celery
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from core.store.db import make_engine, make_session_factory, session_scope

_factories: dict[tuple[int, str], sessionmaker[Session]] = {}


def settings_of(app: Celery) -> Settings:
    """The settings the Celery app was made with."""
    return app.conf.pantau_settings


def session_factory(settings: Settings) -> sessionmaker[Session]:
    """Session factory of this process (re-made after a fork: engines must not cross forks)."""
    key = (os.getpid(), settings.database_url)
    if key not in _factories:
        # background: on SQLite the webhook's deliveries take the write lock first.
        _factories[key] = make_session_factory(make_engine(settings, background=True))
    return _factories[key]


@contextmanager
def task_session(app: Celery) -> Iterator[Session]:
    """One unit of work for one task run."""
    with session_scope(session_factory(settings_of(app))) as session:
        yield session
