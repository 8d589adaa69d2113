import os
import re
import uuid

import pytest

from core.store.heartbeat import last_beat
from tests.conftest import make_settings, pantau_env
from tests.support.processes import Proc, wait_for
from workers.celery_app import QUEUE_MAINTENANCE


def _roundtrip(settings, session_factory, tmp_path):
    from service.app import create_app

    worker = Proc(["worker", "--concurrency", "1"], pantau_env(settings), tmp_path / "worker.log")
    try:
        app = create_app(settings)  # the web side: it sends through its own Celery app
        token = uuid.uuid4().hex
        app.extensions["pantau.celery"].send_task(
            "pantau.heartbeat", args=[token], queue=QUEUE_MAINTENANCE
        )

        def seen():
            with session_factory() as s:
                beat = last_beat(s, "worker")
                return beat if beat and beat[1].get("token") == token else None

        _, detail = wait_for(seen, timeout=60, what=f"worker heartbeat\n{worker.output()}")
        assert detail["pid"] != os.getpid()  # it ran in the worker process, not here
        # Its runtime is logged readably (every digit of a float made 16 and was blanked).
        done = r"pantau\.heartbeat\[[0-9a-f-]+\] succeeded in (\d+\.\d{3})s"
        wait_for(lambda: re.search(done, worker.output()), timeout=30, what="a readable runtime")
    finally:
        worker.stop()


def test_task_sent_from_web_runs_in_worker__embedded_broker(settings, session_factory, tmp_path):
    assert settings.broker_url.startswith("sqla+sqlite")
    _roundtrip(settings, session_factory, tmp_path)


@pytest.mark.redis
def test_task_sent_from_web_runs_in_worker__redis(settings, session_factory, tmp_path, redis_url):
    settings = make_settings(tmp_path, database_url=settings.database_url, broker_url=redis_url)
    _roundtrip(settings, session_factory, tmp_path)


def test_worker__logs_at_pantau_log_level_unless_told_otherwise(settings, tmp_path):
    # PANTAU_LOG_LEVEL sets the worker's level too (its DEBUG lines appear); --loglevel wins.
    env = {**pantau_env(settings), "PANTAU_LOG_LEVEL": "DEBUG"}
    debug = Proc(["worker", "--concurrency", "1"], env, tmp_path / "debug.log")
    try:
        wait_for(lambda: "DEBUG/MainProcess" in debug.output(), timeout=60, what="DEBUG lines")
    finally:
        debug.stop()
    told = Proc(["worker", "-c", "1", "--loglevel", "INFO"], env, tmp_path / "info.log")
    try:
        wait_for(lambda: "INFO/MainProcess" in told.output(), timeout=60, what="INFO lines")
        assert "DEBUG/" not in told.output()
    finally:
        told.stop()
