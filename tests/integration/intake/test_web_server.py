"""The webhook as deployed (`pantau serve`, gunicorn): slow clients, a hung broker, /metrics."""

from __future__ import annotations

import re
import socket
import subprocess
import threading
import time
from contextlib import contextmanager

import pytest
import requests
from sqlalchemy import func, select

from core.store.models import Submission
from tests.conftest import ROOT, free_port, make_settings, pantau_env
from tests.integration.intake.conftest import AUTH, submit_and_read
from tests.support.processes import Proc, wait_for
from tests.support.redis_queue import queued_ids
from tests.support.submissions import meeting_answers
from workers.celery_app import QUEUE_INTAKE


@contextmanager
def _serve(settings, tmp_path, name="web", **env):
    port = free_port()
    proc = Proc(
        ["serve", "--port", str(port), "--workers", "2"],
        pantau_env(settings, **env),
        tmp_path / f"{name}.log",
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _up(url), timeout=30, what=f"web up\n{proc.output()}")
        yield url
    finally:
        proc.stop()


def _up(url):
    try:
        return requests.get(url + "/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


@contextmanager
def _slow_clients(port, n):
    """n connections that trickle one header byte a second and never finish (no credentials)."""
    stop = threading.Event()
    socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(n)]

    def trickle():
        for s in socks:
            s.sendall(b"POST /webhooks/kobo HTTP/1.1\r\nHost: x\r\n")
        while not stop.wait(1):
            for s in socks:
                try:
                    s.sendall(b"X")
                except OSError:
                    pass

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        time.sleep(1.5)  # every slow connection has been taken up by the server
        yield
    finally:
        stop.set()
        thread.join()
        for s in socks:
            s.close()


def test_serve__valid_delivery_is_answered_while_slow_clients_hold_connections(
    settings, kobo_sandbox, meeting_form, tmp_path, session_factory
):
    record = submit_and_read(kobo_sandbox, meeting_form, meeting_answers())
    with _serve(settings, tmp_path) as url:
        port = int(url.rsplit(":", 1)[1])
        with _slow_clients(port, 12):  # 2 sync workers were stopped by 2 of these
            started = time.monotonic()
            resp = requests.post(url + "/webhooks/kobo", json=record, headers=AUTH, timeout=20)
            elapsed = time.monotonic() - started
    assert resp.status_code == 202, resp.text
    assert elapsed < 5, f"answered after {elapsed:.1f} s"
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Submission)) == 1


@contextmanager
def _silent_broker():
    """A TCP server that accepts connections and never says a word (a hung Redis)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    finally:
        stop.set()
        thread.join()
        for s in held:
            s.close()
        server.close()


def test_serve__a_broker_that_never_answers_does_not_hold_the_delivery(
    settings, kobo_sandbox, meeting_form, tmp_path, session_factory
):
    records = [submit_and_read(kobo_sandbox, meeting_form, meeting_answers()) for _ in range(3)]
    with _silent_broker() as broker:
        s = make_settings(tmp_path, database_url=settings.database_url, broker_url=broker)
        with _serve(s, tmp_path) as url:
            for record in records:
                started = time.monotonic()
                resp = requests.post(url + "/webhooks/kobo", json=record, headers=AUTH, timeout=30)
                assert resp.status_code == 202, resp.text
                assert time.monotonic() - started < 3
    with session_factory() as sess:  # stored; process_pending enqueues them later
        rows = sess.scalars(select(Submission)).all()
        assert len(rows) == 3 and {r.status for r in rows} == {"received"}


def test_serve__ids_stored_while_the_broker_is_down_are_sent_once_it_is_back(
    settings, kobo_sandbox, meeting_form, tmp_path, session_factory
):
    import redis

    record = submit_and_read(kobo_sandbox, meeting_form, meeting_answers())
    port = free_port()
    ctl = [str(ROOT / "scripts" / "redis-ctl.sh"), str(tmp_path), str(port)]
    s = make_settings(
        tmp_path, database_url=settings.database_url, broker_url=f"redis://127.0.0.1:{port}/0"
    )
    client = redis.Redis(port=port)
    try:
        with _serve(s, tmp_path) as url:
            resp = requests.post(url + "/webhooks/kobo", json=record, headers=AUTH, timeout=30)
            assert resp.status_code == 202, resp.text  # stored, whatever the broker
            # Kombu's own retries are over within a second (ENQUEUE_RETRY); the web's go on.
            time.sleep(1.5)
            subprocess.run([*ctl, "start"], check=True, capture_output=True, timeout=60)
            with session_factory() as sess:
                stored = sess.scalars(select(Submission.id)).all()
            wait_for(
                lambda: queued_ids(client, QUEUE_INTAKE) == stored, timeout=30, what="the id queued"
            )
        assert "could not enqueue" not in (tmp_path / "web.log").read_text()
    finally:
        client.close()
        subprocess.run([*ctl, "stop"], check=True, capture_output=True, timeout=60)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_serve__metrics_count_every_worker_alike_on_every_reading(settings, tmp_path):
    pattern = r'pantau_http_requests_total\{endpoint="/healthz",method="GET",status="200"\} (\S+)'

    def reading(url):
        text = requests.get(url + "/metrics", timeout=5, headers={"Connection": "close"}).text
        return float(re.search(pattern, text).group(1))

    with _serve(settings, tmp_path) as url:
        before = reading(url)  # the start-up probes
        for _ in range(30):
            # a new connection each time: gunicorn spreads them over both workers
            assert requests.get(url + "/healthz", timeout=5, headers={"Connection": "close"}).ok
        readings = [reading(url) for _ in range(6)]
    # per worker, two readings of one counter would differ (each worker its own count)
    assert readings == [before + 30] * 6


@pytest.mark.parametrize("backend", ["sqlite"])
def test_serve__opens_no_gunicorn_control_socket(settings, tmp_path):
    # gunicorn's default control socket is one path per user: a second server would take it
    # over. With HOME here, a socket would show up under tmp_path/.gunicorn.
    home = tmp_path / "home"
    home.mkdir()
    with _serve(settings, tmp_path, HOME=str(home), XDG_RUNTIME_DIR=""):
        pass
    assert not (home / ".gunicorn").exists()
    assert "control socket" not in (tmp_path / "web.log").read_text().lower()
