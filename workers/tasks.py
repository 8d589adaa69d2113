"""Celery tasks: thin adapters that take ids, call one function of core, and commit."""

from __future__ import annotations

import os
import socket
from datetime import timedelta

from celery import shared_task
from celery.utils.log import get_task_logger

from core.heartbeat import beat
from workers.celery_app import broker_file
from workers.context import settings_of, task_session
from workers.maintenance import cleanup_consumed

log = get_task_logger(__name__)


@shared_task(bind=True, name="pantau.heartbeat", max_retries=0, ignore_result=True)
def heartbeat(self, token: str = "") -> None:
    """Record that a worker is alive (and which process ran it, so tests can see it)."""
    with task_session(self.app) as session:
        beat(session, "worker", {"pid": os.getpid(), "host": socket.gethostname(), "token": token})


@shared_task(bind=True, name="pantau.broker_cleanup", max_retries=0, ignore_result=True)
def broker_cleanup(self) -> int:
    """Delete consumed messages from the embedded SQLite broker."""
    path = broker_file(settings_of(self.app))
    if path is None:
        return 0
    removed = cleanup_consumed(path, older_than=timedelta(minutes=5))
    log.info("broker cleanup removed %d consumed messages", removed)
    return removed
