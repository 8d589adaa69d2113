"""On SQLite a webhook delivery takes the one write lock before a worker's unit of work.

Two worker processes committing unit after unit passed the lock between them while a
delivery waited; one that waits 5 s answers 503. A web process marks its deliveries on
`<database>-intake`, and a worker's connection lets them go first, for a bounded time.
"""

import threading

from sqlalchemy import text

from core.store import intake_first
from core.store.db import make_engine, sqlite_path
from core.store.intake_first import IntakeGate, gate_of
from tests.conftest import make_settings


def _setup(tmp_path):
    settings = make_settings(tmp_path)
    web = make_engine(settings)
    with web.begin() as conn:
        conn.execute(text("CREATE TABLE writes (id INTEGER PRIMARY KEY, who TEXT)"))
    # The web process's own view of the gate file: another open file, as in another process.
    web_gate = IntakeGate(gate_of(sqlite_path(settings.database_url)).path)
    return settings, web, web_gate


def _write(engine, who: str) -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO writes (who) VALUES (:who)"), {"who": who})


def _writes(engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(text("SELECT who FROM writes ORDER BY id")))


def test_a_worker_transaction_waits_for_a_delivery_that_wants_the_database(tmp_path, monkeypatch):
    monkeypatch.setattr(intake_first, "BACKGROUND_WAIT", 30.0)  # far beyond this test's waits
    settings, web, web_gate = _setup(tmp_path)
    worker = make_engine(settings, background=True)
    inside, go = threading.Event(), threading.Event()

    def delivery() -> None:
        with web_gate.delivery():
            inside.set()
            go.wait(10)
            _write(web, "delivery")

    web_thread = threading.Thread(target=delivery)
    web_thread.start()
    assert inside.wait(10)
    worker_thread = threading.Thread(target=_write, args=(worker, "worker"))
    worker_thread.start()
    # Without the gate the worker writes at once; with it, it is still waiting.
    worker_thread.join(0.5)
    assert worker_thread.is_alive()
    assert _writes(web) == []
    go.set()
    web_thread.join(10)
    worker_thread.join(10)
    assert _writes(web) == ["delivery", "worker"]


def test_deliveries_that_never_stop_only_slow_a_worker_down(tmp_path, monkeypatch):
    monkeypatch.setattr(intake_first, "BACKGROUND_WAIT", 0.2)
    settings, web, web_gate = _setup(tmp_path)
    worker = make_engine(settings, background=True)
    with web_gate.delivery():
        # After at most BACKGROUND_WAIT, though the gate stays held.
        assert _finishes(lambda: _write(worker, "worker"))
        assert _writes(web) == ["worker"]


def test_a_web_engine_does_not_wait(tmp_path, monkeypatch):
    monkeypatch.setattr(intake_first, "BACKGROUND_WAIT", 30.0)
    settings, web, web_gate = _setup(tmp_path)
    with web_gate.delivery():
        # The web's own engine never waits for the gate (here it would wait 30 s).
        assert _finishes(lambda: _write(web, "another delivery"), within=5)
    assert _writes(web) == ["another delivery"]


def _finishes(work, within: float = 10) -> bool:
    thread = threading.Thread(target=work)
    thread.start()
    thread.join(within)
    return not thread.is_alive()
