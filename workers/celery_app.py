"""Celery application factory, queues and the beat schedule."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from contextlib import closing
from datetime import timedelta
from pathlib import Path

from celery import Celery, signals
from celery.app import trace
from kombu import Connection, Exchange, Queue

from config.settings import Settings, get_settings
from core.domain.privacy import RedactingFilter
from core.store.files import private_sqlite

# Queue names are constants: web, workers and deployment units agree on them.
QUEUE_INTAKE = "intake"
QUEUE_SCORING = "scoring"
QUEUE_ALERTS = "alerts"
QUEUE_MAINTENANCE = "maintenance"
QUEUES = (QUEUE_INTAKE, QUEUE_SCORING, QUEUE_ALERTS, QUEUE_MAINTENANCE)

# Celery logs a task's runtime with every digit ("0.039646029999858s"): 16 of them look like a
# KK/NIK to the log filter, which blanked the figure. Milliseconds are all anyone reads.
trace.LOG_SUCCESS = "Task %(name)s[%(id)s] succeeded in %(runtime).3fs: %(return_value)s"


@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def _redact_worker_logs(logger, **_kwargs) -> None:
    # The worker's log handlers blank KK/NIK-shaped numbers, whatever an error quoted.
    for handler in logger.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


def broker_file(settings: Settings) -> Path | None:
    """The SQLite file behind the embedded broker, or None for a server broker."""
    if settings.broker_url.startswith("sqla+sqlite:///"):
        return Path(settings.broker_url.removeprefix("sqla+sqlite:///"))
    return None


def _prepare_sqlite_broker(path: Path) -> None:
    # WAL is a property of the database file: set it once here and every connection kombu
    # opens later (web and worker) gets concurrent readers and one writer without
    # "database is locked" under load.
    private_sqlite(path)  # task arguments are ids only, but the folder holds the app database
    # Switching to WAL needs a moment of exclusive access: web workers booting together, or a
    # worker using the file, make it fail at once ("database is locked") whatever the busy
    # timeout; a web worker that fails to boot stops all of gunicorn. Read first, retry briefly.
    for attempt in range(50):
        try:
            with closing(sqlite3.connect(path, timeout=5)) as conn:
                if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                    conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError:
            if attempt == 49:
                raise
            time.sleep(0.1)


def _create_broker_queues(url: str, path: Path) -> None:
    # Kombu creates its tables, and each queue's row, on first use: it looks, then creates.
    # Two processes doing that at once on a new file (web workers booting, a worker, a CLI)
    # make one fail with "table kombu_queue already exists" or an IntegrityError on the
    # queue's name, which kombu does not retry. So every process makes sure here that they
    # exist, and the first on a new file creates them, one process at a time; afterwards
    # kombu only finds them.
    if _broker_queues_exist(path):
        return
    lock_path = path.with_name(path.name + ".lock")
    with os.fdopen(os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600), "r+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if _broker_queues_exist(path):
            return
        with Connection(url) as conn:
            channel = conn.default_channel
            for name in QUEUES:
                Queue(name, Exchange(name), routing_key=name)(channel).declare()
            channel.session.close()
            cache, key = type(channel)._engines, channel.connection.client.hostname
        # Kombu keeps the engine (and its open SQLite connection) in a cache for the whole
        # process: a worker forks its pool right after this, and a child must not carry the
        # parent's connection. Kombu opens a new one when it needs it.
        engine, _ = cache.pop(key, (None, None))
        if engine is not None:
            engine.dispose()


def _broker_queues_exist(path: Path) -> bool:
    with closing(sqlite3.connect(path, timeout=5)) as conn:
        try:
            names = {name for (name,) in conn.execute("SELECT name FROM kombu_queue")}
        except sqlite3.OperationalError:  # no such table yet
            return False
    return names.issuperset(QUEUES)


def make_celery(settings: Settings | None = None) -> Celery:
    """Build the Celery app for settings (the process's own when None)."""
    settings = settings or get_settings()
    app = Celery("pantau", set_as_current=False)
    path = broker_file(settings)
    if path is not None:
        _prepare_sqlite_broker(path)
        # The polling interval is a class attribute: passing it in broker_transport_options
        # would hand it to create_engine() and crash the worker.
        from kombu.transport.sqlalchemy import Transport

        Transport.polling_interval = 0.1
        _create_broker_queues(settings.broker_url, path)
    app.conf.update(
        broker_url=settings.broker_url,
        broker_connection_retry_on_startup=True,
        broker_connection_timeout=3,
        task_ignore_result=True,  # results go to our own tables, not a result backend
        result_backend=None,
        task_default_queue=QUEUE_INTAKE,
        task_queues=[Queue(q, Exchange(q), routing_key=q) for q in QUEUES],
        task_default_exchange=QUEUE_INTAKE,
        task_default_routing_key=QUEUE_INTAKE,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        timezone="UTC",
        beat_schedule=beat_schedule(settings),
    )
    app.conf.pantau_settings = settings
    app.autodiscover_tasks(["workers"], related_name="tasks", force=True)
    return app


def beat_schedule(settings: Settings) -> dict:
    """Periodic jobs (pull, sweep and process_pending hold a lease, so runs never overlap).

    Heartbeat and broker cleanup are idempotent and need none.
    """
    schedule = {
        "heartbeat": {
            "task": "pantau.heartbeat",
            "schedule": timedelta(seconds=60),
            "options": {"queue": QUEUE_MAINTENANCE},
        },
        "process-pending": {
            "task": "pantau.process_pending",
            "schedule": timedelta(seconds=settings.process_pending_interval),
            "options": {"queue": QUEUE_INTAKE},
        },
        "pull-all": {
            "task": "pantau.pull_all",
            "schedule": timedelta(seconds=settings.pull_interval),
            "options": {"queue": QUEUE_INTAKE},
        },
        "score-current-period": {
            "task": "pantau.score_current_period",
            "schedule": timedelta(hours=6),
            "options": {"queue": QUEUE_SCORING},
        },
        "deliver-due": {
            "task": "pantau.deliver_due",
            "schedule": timedelta(seconds=settings.alert_sweep_interval),
            "options": {"queue": QUEUE_ALERTS},
        },
        "weekly-digest": {
            "task": "pantau.weekly_digest",
            "schedule": timedelta(hours=1),
            "options": {"queue": QUEUE_ALERTS},
        },
        "sweep-all": {
            "task": "pantau.sweep_all",
            "schedule": timedelta(seconds=settings.sweep_interval),
            "options": {"queue": QUEUE_INTAKE},
        },
    }
    if broker_file(settings) is not None:
        schedule["broker-cleanup"] = {
            "task": "pantau.broker_cleanup",
            "schedule": timedelta(seconds=settings.broker_cleanup_interval),
            "options": {"queue": QUEUE_MAINTENANCE},
        }
    for entry in schedule.values():
        # A run no worker started within one interval is stale: the next one does its work.
        # Without this, a worker down for a weekend comes back to thousands of them.
        entry["options"]["expires"] = entry["schedule"].total_seconds()
    return schedule
