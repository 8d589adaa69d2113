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

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import (
    BenchFailure,
    Database,
    fresh_database,
    print_table,
)
from bench.procs import group_cpu
from bench.results import Results
from bench.webhook_fixtures import body_template, broker_for, counts, enqueued, seed_form
from bench.webhook_load import CONNECTIONS, Load, check_load, ensure_wrk, merge_loads, run_wrk
from bench.webhook_servers import WEBHOOK_HEADERS, Server, start_bare, start_webhook


@dataclass(frozen=True)
class _Plan:
    """How every endpoint is loaded in this run."""

    wrk: str
    template: Path
    workdir: Path
    seconds: float
    warmup: float
    rounds: int

    def load(
        self, url: str, seconds: float, headers: list[str], server: Server | None = None
    ) -> Load:
        """Post the submission template to url for seconds; the server's CPU seconds in extra."""
        before = group_cpu(server.proc.pid) if server else 0.0
        load = run_wrk(self.wrk, url, seconds, self.template, headers)
        if server is not None:
            load.extra["server_cpu"] = group_cpu(server.proc.pid) - before
        return load


@dataclass
class _Outcome:
    """One backend's loads, and what they left in the database and on the broker."""

    warm: list[Load]  # bare, webhook
    base: Load  # the bare insert's rounds merged
    hook: Load  # the webhook's rounds merged
    hook_server: Server  # stopped; its log tells how many enqueues failed
    stored: int = 0
    bare_rows: int = 0
    queued: int = 0  # submission ids in the messages
    messages: int = 0


def run(
    backends: list[str],
    workdir: Path,
    seconds: float = 10,
    warmup: float = 2,
    rounds: int = 2,
    results: Results | None = None,
) -> None:
    """Per backend: bare insert and webhook, warmed up, then alternating rounds; print ratios.

    Alternating (bare, webhook, bare, webhook) spreads any change in the box's other load over
    both sides instead of charging it to whichever ran second.
    """
    wrk = ensure_wrk()
    template = workdir / "kobo_body.json"
    template.write_text(body_template())
    plan = _Plan(wrk, template, workdir, seconds, warmup, rounds)
    rows: list[list[Any]] = []
    problems: list[str] = []
    notes: list[str] = []
    for backend in backends:
        _bench_backend(plan, backend, rows, problems, notes, results or Results())
    _print_report(plan, rows)
    for note in notes:
        print(f"note: {note}")
    if problems:
        raise BenchFailure("webhook: " + "; ".join(problems))


def _bench_backend(
    plan: _Plan,
    backend: str,
    rows: list[list[Any]],
    problems: list[str],
    notes: list[str],
    results: Results,
) -> None:
    """Measure both endpoints on one backend, check every answer and row; add its table rows."""
    db = fresh_database(backend, plan.workdir, "webhook")
    broker = broker_for(backend, plan.workdir)
    broker_name = broker.split(":")[0]
    out = _measure(plan, backend, db.url, broker, rows, problems)
    for name, one in (
        ("bare insert", out.base),
        ("webhook", out.hook),
        ("warm-up", merge_loads(out.warm)),
    ):
        check_load(f"{name} on {backend}", one, problems)
    _count_stored(out, db, broker, plan.workdir)
    _check_stored(backend, broker_name, out, plan.rounds, problems, notes)
    out.hook.extra["ratio"] = out.hook.rate / out.base.rate
    results.add(
        f"webhook intake, {backend}{' + redis' if backend == 'postgresql' else ''} "
        "(gunicorn 2 workers) vs bare insert",
        out.hook.rate,
        "requests/s",
        ceiling=out.base.rate,
        target="ratio >= 0.5",
    )
    rows.append([backend, "bare insert (bench_bare)", out.base])
    rows.append(
        [
            backend,
            f"webhook, {out.queued:,} ids in {out.messages:,} messages on {broker_name}",
            out.hook,
        ]
    )


def _measure(
    plan: _Plan,
    backend: str,
    database_url: str,
    broker: str,
    rows: list[list[Any]],
    problems: list[str],
) -> _Outcome:
    """Seed the form, start both servers, load them, stop them (also when loading fails)."""
    servers: list[Server] = []
    try:
        seed_form(database_url, plan.workdir)
        bare = start_bare(backend, database_url, plan.workdir)
        servers.append(bare)
        hook = start_webhook(backend, database_url, broker, plan.workdir)
        servers.append(hook)
        bare.wait_ready()
        hook.wait_ready()
        if not rows:
            rows.append(_echo_row(plan, bare.base + "/echo", problems))
        bare_url, hook_url = bare.base + "/bare", hook.base + "/webhooks/kobo"
        warm = [
            plan.load(bare_url, plan.warmup, []),
            plan.load(hook_url, plan.warmup, WEBHOOK_HEADERS),
        ]
        base_runs, hook_runs = [], []
        for _ in range(plan.rounds):
            base_runs.append(plan.load(bare_url, plan.seconds / plan.rounds, [], bare))
            hook_runs.append(plan.load(hook_url, plan.seconds / plan.rounds, WEBHOOK_HEADERS, hook))
    finally:
        for server in servers:
            server.stop()
    return _Outcome(warm, _merged(base_runs), _merged(hook_runs), hook)


def _merged(loads: list[Load]) -> Load:
    """Rounds merged, with the server's CPU per answered request (ms)."""
    merged = merge_loads(loads)
    cpu = sum(x.extra.get("server_cpu", 0.0) for x in loads)
    merged.extra["cpu_ms"] = cpu * 1000 / merged.requests if merged.requests else float("nan")
    return merged


def _echo_row(plan: _Plan, url: str, problems: list[str]) -> list[Any]:
    """Once per run: Flask alone under gunicorn, the ceiling of this box and wrk."""
    plan.load(url, plan.warmup, [])
    echo = plan.load(url, plan.seconds, [])
    check_load("echo", echo, problems)
    return ["-", "bare JSON POST, no database", echo]


def _count_stored(out: _Outcome, db: Database, broker: str, workdir: Path) -> None:
    """Rows in both tables and messages on the broker, into out; then drop the database."""
    try:
        out.stored, out.bare_rows = counts(db.url, workdir)
        out.messages, out.queued = enqueued(broker)
    finally:
        db.drop()


def _check_stored(
    backend: str,
    broker_name: str,
    out: _Outcome,
    rounds: int,
    problems: list[str],
    notes: list[str],
) -> None:
    """Add a problem unless the 2xx answers account for the rows stored and the tasks enqueued."""
    # Requests in flight when wrk stops may be stored without wrk seeing the answer.
    slack = 2 * rounds * CONNECTIONS
    accepted = out.hook.ok + out.warm[1].ok
    stored, queued = out.stored, out.queued
    # The webhook enqueues best effort (process_pending recovers a miss): a few misses are
    # a finding to print, many mean we measured a broken broker path.
    lost = sum(
        int(n)
        for n in re.findall(
            r"could not enqueue (\d+) stored", out.hook_server.log.read_text(errors="replace")
        )
    )
    if lost:
        notes.append(
            f"{backend}: {lost} of {stored:,} stored submissions not enqueued (the webhook "
            f"logged 'could not enqueue'; process_pending picks them up)"
        )
    if (
        not accepted <= stored <= accepted + slack
        or queued + lost != stored
        or lost > 0.01 * stored
    ):
        problems.append(
            f"webhook on {backend}: {accepted} answered 2xx, {stored} stored, "
            f"{queued} enqueued on {broker_name}, {lost} enqueues failed"
        )
        print(f"--- webhook server log ({backend}):\n{out.hook_server.tail()}")
    bare_ok = out.base.ok + out.warm[0].ok
    if not bare_ok <= out.bare_rows <= bare_ok + slack:
        problems.append(f"bare on {backend}: {bare_ok} answered 2xx, {out.bare_rows} rows")


def _print_report(plan: _Plan, rows: list[list[Any]]) -> None:
    """The table of every endpoint's load, the webhook's rate as a fraction of the bare one."""
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
                f"{load.extra['cpu_ms']:.2f}" if "cpu_ms" in load.extra else "",
                f"{load.wrk_cpu * 100:.0f}%",
                f"{ratio:.2f}" if ratio is not None else "",
            ]
        )
    print_table(
        f"webhook vs bare insert: gunicorn -w 2 gthread, loopback, wrk -t1 -c{CONNECTIONS}; "
        f"{plan.seconds:g} s each in {plan.rounds} alternating rounds after {plan.warmup:g} s "
        "warm-up",
        [
            "db",
            "endpoint",
            "requests",
            "req/s",
            "p50 ms",
            "p99 ms",
            "statuses",
            "server cpu ms/req",
            "wrk cpu",
            "webhook/bare",
        ],  # fmt: skip
        table,
    )
