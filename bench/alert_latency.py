"""Issue 16: webhook POST to SMTP accepted, median and p95, embedded and PostgreSQL + Redis.

Per backend, as deployed on one box: `pantau serve --workers 2` (gunicorn) and `pantau worker`
(its default 2 processes) on a fresh database, with the embedded `sqla+sqlite` broker on SQLite
and Redis on PostgreSQL; no beat, since the worker mails an alert as soon as it is raised (beat
only retries the outbox). A real SMTP server (aiosmtpd) in this process notes the moment it
accepts each message. One TPPS recipient is registered for a desa, then N keluarga_risiko
surveys of that desa, each with a stunted child (so each raises alerts and one e-mail), are
posted to the webhook one every `interval` seconds: spaced so the figure is the latency of one
survey, not a queue building up. Each survey has its own RW/RT, which the e-mail names, so every
message is matched to its POST. The records are made beforehand by the Kobo sandbox (imported
from tests.support, a dev tool) so that they are exactly what Kobo's hook sends.
"""

from __future__ import annotations

import email
import logging
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from bench.common import BenchFailure, fresh_database, print_table, settings_for
from bench.results import Results
from bench.webhook_fixtures import broker_for
from bench.webhook_servers import BIN, TOKEN, start_webhook

RW_RT = re.compile(r"RW (\d{3}) / RT (\d{3})")
# One warm-up survey first: the worker's first task imports and connects, not a latency.
WARMUP_TIMEOUT = 120
DRAIN_TIMEOUT = 120


def percentile(values: Iterable[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = (len(ordered) - 1) * q / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def match_latencies(
    posted: Mapping[str, float], accepted: Iterable[tuple[str, float]]
) -> tuple[list[float], list[str], list[str]]:
    """(latencies of the surveys mailed once, keys never mailed, keys mailed more than once).

    posted maps a survey's key to when its POST started, accepted lists (key, when the SMTP
    server accepted a message naming it); keys posted by the warm-up or unknown are ignored.
    """
    seen: dict[str, list[float]] = {}
    for key, at in accepted:
        if key in posted:
            seen.setdefault(key, []).append(at)
    latencies = [seen[k][0] - posted[k] for k in posted if len(seen.get(k, ())) == 1]
    missing = [k for k in posted if k not in seen]
    duplicated = [k for k, times in seen.items() if len(times) > 1]
    return latencies, missing, duplicated


def rw_rt_key(index: int) -> tuple[str, str]:
    """A distinct (RW, RT) for survey index: what the e-mail names and the match uses."""
    return f"{index // 50 + 1:03d}", f"{index % 50 + 1:03d}"


@dataclass
class _Sink:
    """aiosmtpd handler: (RW/RT key, monotonic time) of every message accepted."""

    accepted: list[tuple[str, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        at = time.monotonic()
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        body = message.get_payload(decode=True).decode("utf-8", errors="replace")
        found = RW_RT.search(body)
        with self.lock:
            self.accepted.append((f"{found[1]}/{found[2]}" if found else "?", at))
        return "250 Message accepted for delivery"

    def count(self) -> int:
        with self.lock:
            return len(self.accepted)


def run(backends: list[str], workdir: Path, count: int, interval: float, results: Results) -> None:
    """Measure every backend; add median and p95 rows (target p95 < 2 s on SQLite)."""
    from aiosmtpd.controller import Controller

    from tests.support.kobo_sandbox import start_kobo_sandbox
    from tests.support.mail import free_port

    rows: list[list[Any]] = []
    problems: list[str] = []
    sink = _Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    # The sandbox's werkzeug logs every request: hundreds of lines that bury the table.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    try:
        with start_kobo_sandbox(workdir / "latency-kobo.db") as sandbox:
            for backend in backends:
                sink.accepted.clear()
                row = _bench_backend(backend, workdir, sandbox, sink, port, count, interval)
                latencies, missing, duplicated = row
                label = "sqlite + embedded broker" if backend == "sqlite" else "postgresql + redis"
                if missing or duplicated:
                    problems.append(
                        f"{backend}: {len(missing)} surveys never mailed, "
                        f"{len(duplicated)} mailed more than once"
                    )
                if not latencies:
                    continue
                p50, p95 = percentile(latencies, 50), percentile(latencies, 95)
                rows.append([label, len(latencies), min(latencies), p50, p95, max(latencies)])
                results.add(f"alert latency POST to SMTP accepted, {label}, median", p50, "s")
                results.add(
                    f"alert latency POST to SMTP accepted, {label}, p95",
                    p95,
                    "s",
                    target="value < 2" if backend == "sqlite" else None,
                )
    finally:
        controller.stop()
    print_table(
        f"webhook POST to SMTP accepted (one survey every {interval} s)",
        ["backend", "surveys", "min s", "median s", "p95 s", "max s"],
        rows,
    )
    if problems:
        raise BenchFailure("latency: " + "; ".join(problems))


def _bench_backend(
    backend: str, workdir: Path, sandbox, sink: _Sink, smtp_port: int, count: int, interval: float
) -> tuple[list[float], list[str], list[str]]:
    db = fresh_database(backend, workdir, "latency")
    broker = broker_for(backend, workdir)
    settings = settings_for(
        db.url,
        workdir,
        broker_url=broker,
        smtp_url=f"smtp://127.0.0.1:{smtp_port}",
        kobo_url=sandbox.base_url,
        kobo_token=sandbox.token,
        public_url="https://pantau.example.go.id",
        webhook_token=TOKEN,
    )
    try:
        records = _prepare(settings, sandbox, workdir, count + 1)
        web = start_webhook(backend, db.url, broker, workdir)
        worker = _start_worker(settings, workdir, backend)
        try:
            web.wait_ready()
            trace = workdir / f"latency-{backend}.tsv"
            return _measure(web.base, worker, records, sink, interval, trace)
        finally:
            _stop(worker)
            web.stop()
    finally:
        db.drop()


def _prepare(settings, sandbox, workdir: Path, n: int) -> list[dict]:
    """Register the desa's TPPS, publish keluarga_risiko in the sandbox, make n records."""
    from core.store.db import make_engine, make_session_factory
    from tests.conftest import pantau_env
    from tests.integration.intake.conftest import submit_and_read
    from tests.support.submissions import DESA, family_answers, publish_in_sandbox

    csv = workdir / "latency-recipients.csv"
    csv.write_text(
        "name,wilayah,channel,address,language,role\n"
        f"TPPS Melong,{DESA},email,tpps.melong@example.go.id,id,tpps\n",
        encoding="utf-8",
    )
    subprocess.run(
        [str(BIN / "pantau"), "recipients", "import", str(csv)],
        env=pantau_env(settings),
        cwd=workdir,
        check=True,
        capture_output=True,
    )
    engine = make_engine(settings)
    try:
        with make_session_factory(engine)() as session:
            form = publish_in_sandbox(sandbox, session, "keluarga_risiko")
    finally:
        engine.dispose()
    records = []
    for i in range(n):
        answers = family_answers(f"32770101012{i:05d}")  # a new family each: a new KRS too
        answers["keluarga/rw"], answers["keluarga/rt"] = rw_rt_key(i)
        records.append(submit_and_read(sandbox, form, answers))
    return records


def _start_worker(settings, workdir: Path, backend: str) -> subprocess.Popen:
    from tests.conftest import pantau_env

    log = (workdir / f"latency-worker-{backend}.log").open("wb")
    return subprocess.Popen(
        [str(BIN / "pantau"), "worker"],
        env=pantau_env(settings),
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            # Celery's main process may linger on the embedded broker: measured, not waited for.
            worker.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()


def _measure(
    base: str,
    worker: subprocess.Popen,
    records: list[dict],
    sink: _Sink,
    interval: float,
    trace: Path,
) -> tuple[list[float], list[str], list[str]]:
    """Warm up with records[0], then post the rest on a fixed schedule and wait for the mail."""
    url, headers = base + "/webhooks/kobo", {"X-Pantau-Token": TOKEN}
    http = requests.Session()

    def post(record: dict) -> None:
        resp = http.post(url, json=record, headers=headers, timeout=30)
        if resp.status_code != 202:
            raise BenchFailure(f"latency: webhook answered {resp.status_code}: {resp.text[:200]}")

    post(records[0])
    _wait(lambda: sink.count() >= 1, worker, WARMUP_TIMEOUT, "the warm-up survey's e-mail")
    posted: dict[str, float] = {}
    answered: dict[str, float] = {}
    start = time.monotonic()
    for i, record in enumerate(records[1:], start=1):
        # A fixed schedule, not a sleep after each answer: a slow answer does not space the rest.
        time.sleep(max(0.0, start + (i - 1) * interval - time.monotonic()))
        rw, rt = rw_rt_key(i)
        posted[f"{rw}/{rt}"] = time.monotonic()
        post(record)
        answered[f"{rw}/{rt}"] = time.monotonic()
    _wait(lambda: sink.count() >= len(records), worker, DRAIN_TIMEOUT, "every survey's e-mail")
    time.sleep(1)  # a duplicate sent late would show here
    with sink.lock:
        accepted = list(sink.accepted)
    # Every POST and e-mail in order (kept by `--keep`): an odd run is read from this, not guessed.
    t0 = min(posted.values())
    lines = [f"post\t{k}\t{t - t0:.3f}" for k, t in posted.items()]
    lines += [f"answer\t{k}\t{t - t0:.3f}" for k, t in answered.items()]
    lines += [f"mail\t{k}\t{t - t0:.3f}" for k, t in accepted]
    trace.write_text("\n".join(lines) + "\n")
    return match_latencies(posted, accepted)


def _wait(done, worker: subprocess.Popen, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if done():
            return
        if worker.poll() is not None:
            raise BenchFailure(f"latency: the worker exited ({worker.returncode}); see its log")
        time.sleep(0.05)
    # Not fatal here: the caller reports the surveys never mailed.
    print(f"latency: gave up waiting for {what} after {timeout:.0f} s", flush=True)
