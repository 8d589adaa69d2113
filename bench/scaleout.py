"""Issue 16: processing throughput with 1 vs 2 Celery worker processes on PostgreSQL + Redis.

Runs on what the pull benchmark stored (every record `received`, none processed): 2,500 of
them are processed by `pantau worker --concurrency 1`, the next 2,500 by `--concurrency 2`,
each a fresh worker fed `pantau.process_submissions` messages of 100 ids as the pull sends
them, after a VACUUM ANALYZE of what the pull wrote. The clock starts once the worker has
processed a first message (its start-up is not throughput).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from bench.common import ROOT, BenchFailure, print_table, redis_url, settings_for
from bench.results import Results
from core.store.db import make_engine
from core.store.models import Submission

MESSAGE_IDS = 100
TIMEOUT = 1800
# Submissions each side processes: the throughput is steady long before that, and the whole
# of a 100,000-record pull would take the single worker a quarter of an hour.
SAMPLE = 2_500


def run(db_url: str, workdir: Path, results: Results) -> None:
    """Split the stored submissions in halves; time each with 1 and 2 worker processes."""
    settings = settings_for(db_url, workdir, broker_url=redis_url())
    engine = make_engine(settings)
    try:
        # The pull has just written 100,000 rows: autovacuum would vacuum and analyse them in
        # the next minute or two, while the first side runs, and only that side would pay
        # for it (1 process at 80 submissions/s, 2 at 260: more than the cores allow). Done
        # now, both sides meet the same table.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
        with engine.connect() as conn:
            ids = list(conn.scalars(select(Submission.id).order_by(Submission.id)))
        half = min(len(ids) // 2, SAMPLE + 1)  # +1: each side's first id warms its worker
        rows = []
        rates = {}
        for procs, part in ((1, ids[:half]), (2, ids[half : 2 * half])):
            seconds = _process(settings, engine, part, procs, workdir)
            rates[procs] = (len(part) - 1) / seconds
            rows.append([procs, len(part) - 1, seconds, rates[procs]])
        with engine.connect() as conn:
            failed = conn.scalar(select(func.count()).where(Submission.status == "failed"))
    finally:
        engine.dispose()
    print_table(
        "processing throughput by worker processes (PostgreSQL + Redis)",
        ["worker processes", "submissions", "s", "per s"],
        rows,
    )
    if failed:
        raise BenchFailure(f"scale-out: {failed} submissions failed processing")
    results.add("processing, 1 worker process", rates[1], "submissions/s")
    results.add("processing, 2 worker processes vs 1", rates[2], "submissions/s", ceiling=rates[1])


def _process(settings, engine, ids: list[int], procs: int, workdir: Path) -> float:
    """Seconds a fresh worker of `procs` processes takes for ids[1:] (ids[0] warms it up)."""
    from tests.conftest import pantau_env
    from workers.celery_app import QUEUE_INTAKE, make_celery

    celery = make_celery(settings)
    log = (workdir / f"worker-{procs}.log").open("w")
    worker = subprocess.Popen(
        [str(Path(sys.executable).parent / "pantau"), "worker", "--concurrency", str(procs)],
        cwd=ROOT,
        env=pantau_env(settings),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        celery.send_task("pantau.process_submissions", args=[ids[:1]], queue=QUEUE_INTAKE)
        _wait_processed(engine, ids[:1], worker)
        start = time.perf_counter()
        rest = ids[1:]
        for i in range(0, len(rest), MESSAGE_IDS):
            celery.send_task(
                "pantau.process_submissions",
                args=[rest[i : i + MESSAGE_IDS]],
                queue=QUEUE_INTAKE,
            )
        _wait_processed(engine, rest, worker)
        return time.perf_counter() - start
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
        log.close()


def _wait_processed(engine, ids: list[int], worker: subprocess.Popen) -> None:
    deadline = time.monotonic() + TIMEOUT
    stmt = select(func.count()).where(
        Submission.id.between(ids[0], ids[-1]), Submission.status != "received"
    )
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            if conn.scalar(stmt) >= len(ids):
                return
        if worker.poll() is not None:
            raise BenchFailure(f"the worker exited ({worker.returncode}); see its log")
        time.sleep(0.2)
    raise BenchFailure(f"{len(ids)} submissions not processed within {TIMEOUT} s")
