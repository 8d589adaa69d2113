"""The outbox: retries with backoff, once only, permanent failures, dedupe, closing, referral."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from types import SimpleNamespace

import pytest
from sqlalchemy import select, update

from core.store.db import sqlite_path
from core.store.models import AlertStatusChange, Delivery, utcnow
from core.usecases.delivery import deliver
from core.wiring import channel_for, retry_policy
from service.app import create_app
from tests.integration.alerts.conftest import cli
from tests.integration.alerts.helpers import alerts, deliver_all, post_survey, process
from tests.support.submissions import family_answers, publish_in_sandbox

NO_KK = "3277010101200012"


@pytest.fixture
def family_form(kobo_sandbox, session_factory):
    with session_factory() as s:
        form = publish_in_sandbox(kobo_sandbox, s, "keluarga_risiko")
        s.commit()
    return form


@pytest.fixture
def web(alert_settings):
    app = create_app(alert_settings)
    yield app.test_client()
    app.extensions["pantau.engine"].dispose()


def _make_due(session_factory) -> None:
    # Backoff is tiny in tests (alert_retry_base 0.01 s); make it due without sleeping.
    with session_factory() as s:
        s.execute(update(Delivery).values(next_attempt_at=utcnow()))
        s.commit()


def _send_the_one_then(settings, session_factory, sink, after) -> None:
    """Deliver the one queued delivery, after() run as soon as its mail has gone; it is sent."""
    real = channel_for(settings)

    class ThenAfter:
        def __init__(self, channel):
            self.channel = channel

        def send(self, message):
            self.channel.send(message)
            after()

    with session_factory() as s:
        (row,) = s.scalars(select(Delivery)).all()
    policy = retry_policy(settings)
    result = deliver(
        session_factory, row.id, lambda name: ThenAfter(real(name)), policy, "https://x"
    )
    assert result.outcome == "sent" and len(sink.received) == 1
    with session_factory() as s:
        assert s.get(Delivery, row.id).status == "sent"


def test_outbox__smtp_down_for_three_attempts_then_the_mail_arrives_once(
    alert_settings, recipients, web, kobo_sandbox, family_form, smtp_sink, session_factory
):
    smtp_sink.stop()  # the server is down: connections are refused
    post_survey(web, kobo_sandbox, family_form, family_answers(NO_KK))
    process(alert_settings)
    outcomes = []
    for attempt in range(1, 5):
        if attempt == 4:
            smtp_sink.start()  # it comes back on the same port
        _make_due(session_factory)
        outcomes += deliver_all(alert_settings, session_factory)
    assert outcomes == ["retry", "retry", "retry", "sent"]
    assert len(smtp_sink.received) == 1
    with session_factory() as s:
        (row,) = s.scalars(select(Delivery)).all()
        assert row.status == "sent" and row.attempts == 4 and row.last_error is None
    # Sent is final: another attempt (a duplicate task, the sweeper) sends nothing.
    _make_due(session_factory)
    policy = retry_policy(alert_settings)
    again = deliver(session_factory, row.id, channel_for(alert_settings), policy, "https://x")
    assert again.outcome == "skipped" and len(smtp_sink.received) == 1


@pytest.mark.parametrize("backend", ["sqlite"])  # SQLite's one write lock: not PostgreSQL's
def test_outbox__a_sent_mail_is_recorded_sent_though_the_database_was_busy_then(
    backend, alert_settings, recipients, web, kobo_sandbox, family_form, smtp_sink, session_factory
):
    # Another process holds SQLite's one write lock longer than the busy timeout just as the
    # mail has gone. Giving up then left the delivery "sending"; once its claim lapsed it
    # would have been sent a second time.
    post_survey(web, kobo_sandbox, family_form, family_answers(NO_KK))
    process(alert_settings)
    path = str(sqlite_path(alert_settings.database_url))
    held = threading.Event()

    def hold_the_lock() -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        held.set()
        time.sleep(6)  # longer than the 5 s busy timeout
        conn.execute("COMMIT")
        conn.close()

    def locked() -> None:
        threading.Thread(target=hold_the_lock, daemon=True).start()
        assert held.wait(10)

    _send_the_one_then(alert_settings, session_factory, smtp_sink, locked)


@pytest.mark.parametrize("backend", ["sqlite"])  # a missing table is OperationalError there
def test_outbox__a_sent_mail_is_recorded_sent_though_the_database_was_away_half_a_minute(
    backend,
    alert_settings,
    recipients,
    web,
    kobo_sandbox,
    family_form,
    smtp_sink,
    session_factory,
    monkeypatch,
):
    # The database goes away (a restart, a failover) just as the mail has gone, for longer
    # than a unit of work's usual five tries (7.5 s). Recording "sent" must outlast it: given
    # up, the delivery stays "sending" and is sent again once its claim lapses.
    post_survey(web, kobo_sandbox, family_form, family_answers(NO_KK))
    process(alert_settings)
    path = str(sqlite_path(alert_settings.database_url))

    def rename(old: str, new: str) -> None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute(f"ALTER TABLE {old} RENAME TO {new}")
        conn.close()

    waits: list[float] = []
    pause = time.sleep

    def wait(seconds: float) -> None:  # run_unit's waits (0.5 s and up), without the waiting
        if seconds < 0.5:
            pause(seconds)  # the SQLite connection's own short pauses
            return
        waits.append(seconds)
        if sum(waits) >= 30:
            rename("deliveries_away", "deliveries")  # back after half a minute

    # core.store.db's clock only: patching time.sleep itself would catch every thread's sleeps.
    monkeypatch.setattr("core.store.db.time", SimpleNamespace(sleep=wait, monotonic=time.monotonic))
    _send_the_one_then(
        alert_settings, session_factory, smtp_sink, lambda: rename("deliveries", "deliveries_away")
    )
    assert waits == [0.5, 1, 2, 4, 8, 16]  # 31.5 s of waiting, then the table was back


def test_outbox__a_refused_address_fails_at_once_and_attempts_run_out(
    alert_settings, recipients, web, kobo_sandbox, family_form, smtp_sink, session_factory
):
    smtp_sink.handler.refuse.add("tpps.melong@example.go.id")
    post_survey(web, kobo_sandbox, family_form, family_answers(NO_KK))
    process(alert_settings)
    assert deliver_all(alert_settings, session_factory) == ["failed"]  # 550: permanent
    with session_factory() as s:
        (row,) = s.scalars(select(Delivery)).all()
        assert row.status == "failed" and "550" in row.last_error and row.attempts == 1


def test_outbox__a_retryable_failure_gives_up_after_the_last_attempt(
    alert_settings, recipients, web, kobo_sandbox, family_form, smtp_sink, session_factory
):
    smtp_sink.stop()
    post_survey(web, kobo_sandbox, family_form, family_answers(NO_KK))
    process(alert_settings)
    outcomes = []
    for _ in range(alert_settings.alert_max_attempts):
        _make_due(session_factory)
        outcomes += deliver_all(alert_settings, session_factory)
    assert outcomes == ["retry"] * (alert_settings.alert_max_attempts - 1) + ["failed"]


def test_alerts__a_later_survey_with_the_same_finding_does_not_alert_again(
    alert_settings, recipients, web, kobo_sandbox, family_form, smtp_sink, session_factory
):
    post_survey(web, kobo_sandbox, family_form, family_answers(NO_KK))
    process(alert_settings)
    first = alerts(session_factory)
    # The same child measured again two weeks later, still short for its age.
    later = family_answers(NO_KK)
    later["today"] = "2026-11-05"
    later["anak"] = [{**later["anak"][0], "anak/tgl_ukur": "2026-11-05", "anak/tinggi_cm": "78.5"}]
    post_survey(web, kobo_sandbox, family_form, later)
    process(alert_settings)
    assert [a.id for a in alerts(session_factory)] == [a.id for a in first]
    with session_factory() as s:
        assert s.scalar(select(Delivery.id).where(Delivery.alert_id != first[0].id)) is None


def test_alerts__an_edit_that_removes_the_finding_closes_the_alert(
    alert_settings, recipients, web, kobo_sandbox, family_form, smtp_sink, session_factory
):
    rec = post_survey(web, kobo_sandbox, family_form, family_answers(NO_KK))
    process(alert_settings)
    assert {a.status for a in alerts(session_factory)} == {"open"}
    # The kader corrects the child's birth date and height and the water source on the server
    # (an edit the webhook never hears of; the sweep finds it): nothing is left to alert on.
    fixed = {**family_answers(NO_KK), "rumah/sumber_air": "ledeng"}
    fixed["istri/tgl_lahir_anak_bungsu"] = "2024-05-05"
    fixed["anak"] = [
        {**fixed["anak"][0], "anak/tgl_lahir_anak": "2024-05-05", "anak/tinggi_cm": "90.0"}
    ]
    xml, _ = family_form.instance(fixed, deprecated_id=rec["meta/instanceID"])
    assert kobo_sandbox.submit(xml).status_code == 201
    cli(alert_settings, "sweep", "keluarga_risiko")
    closed = alerts(session_factory)
    assert {a.status for a in closed} == {"closed"}
    assert all("finding no longer present" in a.closed_reason for a in closed)
    listed = json.loads(
        cli(alert_settings, "alerts", "list", "--status", "closed", "--json").output
    )
    assert {r["id"] for r in listed} == {a.id for a in closed}


def test_alerts__referral_status_keeps_who_and_when(
    alert_settings, recipients, web, kobo_sandbox, family_form, session_factory
):
    post_survey(web, kobo_sandbox, family_form, family_answers(NO_KK))
    process(alert_settings)
    alert_id = alerts(session_factory)[0].id
    out = cli(alert_settings, "alerts", "set-status", str(alert_id), "dirujuk", "--by", "Bidan Ani")
    assert f"PNT-{alert_id:06d}: dirujuk by Bidan Ani" in out.output
    cli(alert_settings, "alerts", "set-status", str(alert_id), "diterima", "--by", "Puskesmas")
    rows = json.loads(
        cli(alert_settings, "alerts", "list", "--referral", "diterima", "--json").output
    )
    assert [r["id"] for r in rows] == [alert_id] and rows[0]["referral_by"] == "Puskesmas"
    with session_factory() as s:
        history = s.scalars(select(AlertStatusChange).order_by(AlertStatusChange.id)).all()
        assert [(h.status, h.by) for h in history] == [
            ("dirujuk", "Bidan Ani"),
            ("diterima", "Puskesmas"),
        ]
    bad = cli(alert_settings, "alerts", "set-status", "999999", "dirujuk", ok=False)
    assert bad.exit_code == 2 and "no alert 999999" in bad.output and "Traceback" not in bad.output


def test_recipients__bad_rows_are_refused_with_their_numbers(alert_settings, tmp_path):
    path = tmp_path / "r.csv"
    path.write_text(
        "name,wilayah,channel,address,language\n"
        "A,32.77.01.1001,email,not-an-address,id\n"
        "B,99.99,email,b@example.org,id\n"
        "C,32.77.01.1001,pigeon,c,id\n"
        "D,32.77.01.1001,whatsapp,0812-3456-7890,jv\n",
        encoding="utf-8",
    )
    result = cli(alert_settings, "recipients", "import", str(path), ok=False)
    assert result.exit_code == 2
    for needle in (
        "row 2: address",
        "row 3: wilayah",
        "row 4: channel 'pigeon'",
        "row 5: language 'jv'",
    ):
        assert needle in result.output
    assert cli(alert_settings, "recipients", "list", "--json").output.strip() == "[]"


def test_recipients__list_and_remove(alert_settings, recipients):
    names = [
        r["name"] for r in json.loads(cli(alert_settings, "recipients", "list", "--json").output)
    ]
    assert "TPPS Melong" in names and len(names) == 4
    assert "removed" in cli(alert_settings, "recipients", "remove", "TPPS Melong").output
    gone = cli(alert_settings, "recipients", "remove", "TPPS Melong", ok=False)
    assert gone.exit_code == 2 and "no active recipient" in gone.output
