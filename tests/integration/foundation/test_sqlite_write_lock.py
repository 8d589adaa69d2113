"""SQLite's one write lock: a writer waiting while another process commits unit after unit."""

import multiprocessing
import time

from sqlalchemy import text

from config.settings import Settings
from core.store.db import make_engine, make_session_factory, session_scope
from tests.conftest import make_settings


def _busy_worker(database_url: str, var: str, started, stop, seconds: float) -> None:
    """Commit unit after unit of 0.3 s each, as a worker's batches do, on Pantau's engine."""
    from pathlib import Path

    engine = make_engine(make_settings(Path(var), database_url=database_url))
    factory = make_session_factory(engine)
    end = time.monotonic() + seconds
    while time.monotonic() < end and not stop.is_set():
        with session_scope(factory) as s:
            s.execute(text("UPDATE wilayah SET name = name WHERE 0"))
            started.set()
            time.sleep(0.3)
    engine.dispose()


def _settings(tmp_path) -> Settings:
    settings = make_settings(tmp_path, database_url=f"sqlite:///{tmp_path / 'pantau.db'}")
    engine = make_engine(settings)
    from core.store.migrate import upgrade

    upgrade(engine)
    engine.dispose()
    return settings


def test_sqlite__a_writer_gets_in_between_another_process_s_back_to_back_units(tmp_path):
    # SQLite's own busy handler sleeps up to 100 ms between tries: against a worker that
    # re-took the lock within a millisecond of each commit it waited out its whole timeout
    # (the webhook's 503s in the demo). Every one of these must get in while it runs.
    settings = _settings(tmp_path)
    ctx = multiprocessing.get_context("spawn")
    started, stop = ctx.Event(), ctx.Event()
    busy = ctx.Process(
        target=_busy_worker, args=(settings.database_url, str(tmp_path), started, stop, 20.0)
    )
    busy.start()
    engine = make_engine(settings)
    try:
        assert started.wait(30)
        factory = make_session_factory(engine)
        for n in range(8):
            with session_scope(factory) as s:
                s.execute(text("UPDATE wilayah SET name = name WHERE 0"))
            time.sleep(0.2)
            assert busy.is_alive(), f"the busy process stopped before write {n + 1}"
    finally:
        stop.set()
        busy.join(30)
        engine.dispose()
