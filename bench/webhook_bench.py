"""`POST /webhooks/kobo` against a bare insert endpoint, same database, same gunicorn settings.

Both run under gunicorn with 2 gthread workers on loopback (`pantau serve --workers 2`, and the
baseline `bench.bare_app` with Pantau's gunicorn config file), side by side: same warm-up, same
duration, in alternating rounds, loaded by `wrk` (one thread) posting a realistic pertemuan_imp
submission with a fresh instance id per request. The webhook runs as deployed: log level INFO
(one JSON access line per request, to a file here), and every accepted submission enqueued for
processing on the configured broker (the embedded `sqla+sqlite` broker with SQLite, Redis with
PostgreSQL); no worker consumes the queue during the run. The load generator shares the 2 cores
with the servers: its own CPU use is printed, and the no-database row shows the ceiling.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.bare_app import bench_bare, metadata
from bench.common import (
    BENCH_KEYS,
    ROOT,
    BenchFailure,
    fresh_database,
    print_table,
    redis_url,
    settings_for,
)
from core.store.db import make_engine, make_session_factory, session_scope
from core.store.models import FormVersion, Publication, Submission
from workers.celery_app import QUEUE_INTAKE

BIN = ROOT / ".venv" / "bin"
LUA = Path(__file__).with_name("post.lua")
TOKEN = "bench-webhook-token"  # noqa: S105 - a throwaway secret for a private loopback server
ASSET, VERSION = "aBenchPertemuanImp0001", "vBenchPertemuanImp0001"
CONNECTIONS = 8


@dataclass
class Load:
    """What wrk measured in one run."""

    requests: int
    seconds: float
    statuses: dict[str, int]
    socket_errors: int
    p50_ms: float
    p99_ms: float
    wrk_cpu: float  # CPU seconds wrk used, per second of run
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Requests answered per second."""
        return self.requests / self.seconds

    @property
    def ok(self) -> int:
        """Responses with a 2xx status."""
        return sum(n for code, n in self.statuses.items() if code.startswith("2"))


def body_template() -> str:
    """A Kobo pertemuan_imp submission (../shared/kobo.md) with id placeholders for wrk."""
    day = "2026-10-14"
    raw = {
        "formhub/uuid": "3f1c2b0e9d8a4c7b9e6f5a4d3c2b1a09",
        "start": "2026-10-14T10:02:11.123+07:00",
        "end": "2026-10-14T10:15:40.456+07:00",
        "today": day,
        "deviceid": "collect:Xy12AbCdEf34GhIj",
        "wilayah/kecamatan": "32.77.01",
        "wilayah/desa": "32.77.01.1001",
        "wilayah/imp": "PPKBD-32.77.01.1001-00",
        "pertemuan/tgl_pertemuan": day,
        "pertemuan/jenis_pertemuan": "pengurus",
        "pertemuan/hadir_perempuan": "9",
        "pertemuan/hadir_laki": "3",
        "pertemuan/ada_rencana_kerja": "ya",
        "pertemuan/ada_notulen": "ya",
        "pertemuan/topik": "Persiapan pelayanan KB bulan depan",
        "pertemuan/tindak_lanjut_lalu": "ya",
        "lokasi": "-6.8841 107.5413 712 5",
        "__version__": VERSION,
        "meta/instanceID": "uuid:@INSTANCE@",
        "meta/rootUuid": "uuid:@INSTANCE@",
        "_xform_id_string": ASSET,
        "_uuid": "@INSTANCE@",
        "_id": 0,
        "_attachments": [],
        "_status": "submitted_via_web",
        "_geolocation": [-6.8841, 107.5413],
        "_submission_time": "2026-10-14T03:15:42",
        "_validation_status": {},
        "_submitted_by": "kader01",
    }
    return json.dumps(raw).replace('"_id": 0', '"_id": @RECORD@')


def ensure_wrk() -> str:
    """Path of wrk (scripts/bench.sh installs the Debian package when missing)."""
    for candidate in ("/usr/bin/wrk", "/usr/local/bin/wrk"):
        if os.access(candidate, os.X_OK):
            return candidate
    raise BenchFailure("wrk is not installed: run through `make bench` (apt-get install wrk)")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A gunicorn server in its own process group; stopped (and waited for) by stop()."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], workdir: Path) -> None:
        self.name = name
        self.port = _free_port()
        self.log = workdir / f"{name}.log"
        self._fh = open(self.log, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [a.replace("@PORT@", str(self.port)) for a in args],
            env=env,
            cwd=workdir,  # no developer's .env is read from here
            stdout=self._fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def base(self) -> str:
        """Base URL of the server."""
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 30) -> None:
        """Block until GET /healthz answers 200, or fail with the server's log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=1) as resp:  # noqa: S310
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise BenchFailure(f"{self.name} did not become ready:\n{self.tail()}")

    def tail(self, lines: int = 20) -> str:
        """The last lines the server printed."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM the process group (gunicorn and its workers), SIGKILL if it lingers."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self._fh.close()


def run_wrk(wrk: str, url: str, seconds: float, template: Path, headers: list[str]) -> Load:
    """Post to url for seconds with wrk; parse the script's BENCH line."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    # _id ranges disjoint run after run: 100 ids per millisecond, far above any request rate.
    first_id = int(time.time() * 1000) % 10**9 * 100
    out = subprocess.run(
        [
            wrk,
            "-t1",
            f"-c{CONNECTIONS}",
            f"-d{seconds:g}s",
            "--timeout",
            "10s",
            "-s",
            str(LUA),
            url,
            "--",
            str(template),
            uuid.uuid4().hex[:16],
            str(first_id),
            *headers,
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if out.returncode != 0 or line is None:
        raise BenchFailure(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    data = json.loads(line[6:])
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    duration = data["duration_us"] / 1e6
    return Load(
        requests=data["requests"],
        seconds=duration,
        statuses=data["statuses"],
        socket_errors=data["connect"] + data["read"] + data["write"] + data["timeout"],
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        wrk_cpu=cpu / duration,
    )


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PANTAU_", "BENCH_"))}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def _seed_form(database_url: str, workdir: Path) -> None:
    engine = make_engine(settings_for(database_url, workdir))
    metadata.create_all(engine)
    with session_scope(make_session_factory(engine)) as session:
        fv = FormVersion(
            form_id="pertemuan_imp",
            version="2026100101",
            xform_sha256=uuid.uuid4().hex,
            xlsform_sha256=uuid.uuid4().hex,
            contract={},
            built_by="bench",
        )
        session.add(fv)
        session.flush()
        session.add(
            Publication(
                form_version_id=fv.id,
                server="kobo",
                server_form_id=ASSET,
                server_version_id=VERSION,
                published_by="bench",
            )
        )
    engine.dispose()


def _counts(database_url: str, workdir: Path) -> tuple[int, int]:
    engine = make_engine(settings_for(database_url, workdir))
    with engine.connect() as conn:
        subs = conn.scalar(select(func.count()).select_from(Submission.__table__)) or 0
        bare = conn.scalar(select(func.count()).select_from(bench_bare)) or 0
    engine.dispose()
    return subs, bare


def _enqueued(broker_url: str) -> int:
    """How many task messages wait on the intake queue of the broker."""
    if broker_url.startswith("sqla+sqlite:///"):
        path = broker_url.removeprefix("sqla+sqlite:///")
        with sqlite3.connect(path) as conn:
            return conn.execute(
                "SELECT count(*) FROM kombu_message m JOIN kombu_queue q ON m.queue_id = q.id "
                "WHERE q.name = ?",
                (QUEUE_INTAKE,),
            ).fetchone()[0]
    import redis

    client = redis.Redis.from_url(broker_url)
    try:
        return int(client.llen(QUEUE_INTAKE))
    finally:
        client.close()


def _check(name: str, load: Load, problems: list[str]) -> None:
    # A run where requests failed measures the failure path: refuse its numbers.
    bad = {code: n for code, n in load.statuses.items() if not code.startswith("2")}
    if load.requests == 0 or bad or load.socket_errors > 0.005 * load.requests:
        problems.append(
            f"{name}: {load.requests} requests, statuses {load.statuses}, "
            f"{load.socket_errors} socket errors"
        )


def _merge(loads: list[Load]) -> Load:
    """One Load from alternating rounds: totals, mean of the medians, worst p99."""
    statuses: dict[str, int] = {}
    for load in loads:
        for code, n in load.statuses.items():
            statuses[code] = statuses.get(code, 0) + n
    seconds = sum(x.seconds for x in loads)
    return Load(
        requests=sum(x.requests for x in loads),
        seconds=seconds,
        statuses=statuses,
        socket_errors=sum(x.socket_errors for x in loads),
        p50_ms=sum(x.p50_ms for x in loads) / len(loads),
        p99_ms=max(x.p99_ms for x in loads),
        wrk_cpu=sum(x.wrk_cpu * x.seconds for x in loads) / seconds,
    )


def _broker_for(backend: str, workdir: Path, name: str = "broker") -> str:
    if backend == "sqlite":
        (workdir / "var").mkdir(parents=True, exist_ok=True)
        return f"sqla+sqlite:///{workdir / 'var' / name}.db"
    import redis

    url = redis_url() + "/3"
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url


def run(
    backends: list[str], workdir: Path, seconds: float = 10, warmup: float = 2, rounds: int = 2
) -> None:
    """Per backend: bare insert and webhook, warmed up, then alternating rounds; print ratios.

    Alternating (bare, webhook, bare, webhook) spreads any change in the box's other load over
    both sides instead of charging it to whichever ran second.
    """
    wrk = ensure_wrk()
    template = workdir / "kobo_body.json"
    template.write_text(body_template())
    hook_headers = [f"X-Pantau-Token: {TOKEN}", "User-Agent: KoboToolbox external service #hB"]
    gunicorn_conf = str(ROOT / "service" / "gunicorn_conf.py")
    rows: list[list[Any]] = []
    problems: list[str] = []
    notes: list[str] = []
    # SQLite runs twice: as shipped (synchronous=FULL, a 202 survives a power cut) and with
    # NORMAL, so the table shows what FULL costs.
    variants = [(b, s) for b in backends for s in (("FULL", "NORMAL") if b == "sqlite" else ("",))]
    for backend, synchronous in variants:
        label = f"{backend} ({synchronous})" if synchronous else backend
        db = fresh_database(backend, workdir, f"webhook{synchronous.lower()}")
        broker = _broker_for(backend, workdir, f"broker{synchronous.lower()}")
        broker_name = broker.split(":")[0]
        sync_env = {"PANTAU_SQLITE_SYNCHRONOUS": synchronous} if synchronous else {}
        servers: list[Server] = []
        try:
            _seed_form(db.url, workdir)
            bare = Server(
                f"bare-{backend}",
                [
                    str(BIN / "gunicorn"),
                    "-c",
                    gunicorn_conf,
                    "--workers",
                    "2",
                    "--bind",
                    "127.0.0.1:@PORT@",
                    "bench.bare_app:create_bare_app()",
                ],  # fmt: skip
                _env({"BENCH_DATABASE_URL": db.url, "PANTAU_LOG_LEVEL": "WARNING", **sync_env}),
                workdir,
            )
            servers.append(bare)
            hook = Server(
                f"webhook-{backend}",
                [
                    str(BIN / "pantau"),
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "@PORT@",
                    "--workers",
                    "2",
                ],  # fmt: skip
                _env(
                    {
                        "PANTAU_DATABASE_URL": db.url,
                        "PANTAU_BROKER_URL": broker,
                        "PANTAU_VAR_DIR": str(workdir / "var"),
                        "PANTAU_ENV": "test",
                        "PANTAU_SECRET_KEY": BENCH_KEYS["secret_key"],
                        "PANTAU_PSEUDONYM_KEY": BENCH_KEYS["pseudonym_key"],
                        "PANTAU_WEBHOOK_TOKEN": TOKEN,
                        **sync_env,
                    }
                ),
                workdir,
            )
            servers.append(hook)
            bare.wait_ready()
            hook.wait_ready()
            bare_url, hook_url = bare.base + "/bare", hook.base + "/webhooks/kobo"
            if not rows:
                # Once per run: Flask alone under gunicorn, the ceiling of this box and wrk.
                run_wrk(wrk, bare.base + "/echo", warmup, template, [])
                echo = run_wrk(wrk, bare.base + "/echo", seconds, template, [])
                _check("echo", echo, problems)
                rows.append(["-", "bare JSON POST, no database", echo])
            warm = [
                run_wrk(wrk, bare_url, warmup, template, []),
                run_wrk(wrk, hook_url, warmup, template, hook_headers),
            ]
            base_runs, hook_runs = [], []
            for _ in range(rounds):
                base_runs.append(run_wrk(wrk, bare_url, seconds / rounds, template, []))
                hook_runs.append(run_wrk(wrk, hook_url, seconds / rounds, template, hook_headers))
        finally:
            for server in servers:
                server.stop()
        base, load = _merge(base_runs), _merge(hook_runs)
        for name, one in (("bare insert", base), ("webhook", load), ("warm-up", _merge(warm))):
            _check(f"{name} on {label}", one, problems)
        try:
            stored, bare_rows = _counts(db.url, workdir)
            queued = _enqueued(broker)
        finally:
            db.drop()
        # Requests in flight when wrk stops may be stored without wrk seeing the answer.
        accepted = load.ok + warm[1].ok
        # The webhook enqueues best effort (process_pending recovers a miss): a few misses are
        # a finding to print, many mean we measured a broken broker path.
        lost = hook.log.read_text(errors="replace").count("could not enqueue")
        if lost:
            notes.append(
                f"{label}: {lost} of {stored:,} stored submissions not enqueued (the webhook "
                f"logged 'could not enqueue'; process_pending picks them up)"
            )
        if (
            not accepted <= stored <= accepted + 2 * rounds * CONNECTIONS
            or queued + lost != stored
            or lost > 0.01 * stored
        ):
            problems.append(
                f"webhook on {label}: {accepted} answered 2xx, {stored} stored, "
                f"{queued} enqueued on {broker_name}, {lost} enqueues failed"
            )
            print(f"--- webhook server log ({label}):\n{hook.tail()}")
        bare_ok = base.ok + warm[0].ok
        if not bare_ok <= bare_rows <= bare_ok + 2 * rounds * CONNECTIONS:
            problems.append(f"bare on {label}: {bare_ok} answered 2xx, {bare_rows} rows")
        load.extra = {"ratio": load.rate / base.rate}
        rows.append([label, "bare insert (bench_bare)", base])
        rows.append([label, f"webhook, enqueue on {broker_name} ({queued:,})", load])
    table = []
    for db_name, what, load in rows:
        ratio = load.extra.get("ratio")
        table.append(
            [
                db_name,
                what,
                load.requests,
                load.rate,
                load.p50_ms,
                load.p99_ms,
                " ".join(f"{c}:{n}" for c, n in sorted(load.statuses.items())),
                f"{load.wrk_cpu * 100:.0f}%",
                f"{ratio:.2f}" if ratio is not None else "",
            ]
        )
    print_table(
        f"webhook vs bare insert: gunicorn -w 2 gthread, loopback, wrk -t1 -c{CONNECTIONS}; "
        f"{seconds:g} s each in {rounds} alternating rounds after {warmup:g} s warm-up",
        [
            "db",
            "endpoint",
            "requests",
            "req/s",
            "p50 ms",
            "p99 ms",
            "statuses",
            "wrk cpu",
            "webhook/bare",
        ],  # fmt: skip
        table,
    )
    for note in notes:
        print(f"note: {note}")
    if problems:
        raise BenchFailure("webhook: " + "; ".join(problems))
