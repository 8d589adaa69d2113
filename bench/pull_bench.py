"""Issue 16: a pull backfill from the Kobo sandbox against merely downloading and parsing it.

The sandbox runs in its own process (as Kobo would: its serving must not share our GIL) with
N pertemuan_imp records seeded through its admin endpoint. Then, each in a fresh child
process on PostgreSQL, side by side:
- the ceiling: page through the data API as the pull does (`iter_after`, 1,000 a page) and
  parse every page, storing nothing;
- the pull: `pull_kobo`, what `pantau pull` and the pull_form task run (pseudonymise, store
  each record once, move the cursor per page), without processing (that is the workers').
Each child reports its records, seconds and peak RSS (VmHWM); the pull's must stay < 300 MB.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import requests

from bench import scaleout
from bench.common import ROOT, BenchFailure, fresh_database, print_table, settings_for
from bench.results import Results

TOKEN = "bench-sandbox-token"  # noqa: S105 - a private loopback sandbox's
FORM = "pertemuan_imp"
SEED_CHUNK = 5_000


def run(workdir: Path, records: int = 100_000, results: Results | None = None) -> None:
    """Seed the sandbox, time the ceiling and the pull in child processes, add the figures."""
    results = results if results is not None else Results()
    db = fresh_database("postgresql", workdir, "pull")
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = (workdir / "sandbox.log").open("w")
    sandbox = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from sandbox.kobo import run_sandbox; "
            "run_sandbox(port=int(sys.argv[1]), db_path=sys.argv[2], token=sys.argv[3])",
            str(port),
            str(workdir / "sandbox-kobo.db"),
            TOKEN,
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_up(base_url)
        asset = _publish(base_url, db.url, workdir)
        t0 = time.perf_counter()
        _seed(base_url, asset, records)
        took = time.perf_counter() - t0
        print(f"sandbox: seeded {records:,} records in {took:.0f} s", flush=True)
        env = {"url": db.url, "workdir": str(workdir), "kobo": base_url, "asset": asset}
        ceiling = _child("download", env)
        pulled = _child("pull", env)
        _report(records, ceiling, pulled, results)
        scaleout.run(db.url, workdir, results)  # processes what the pull stored
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)
        log.close()
        db.drop()


def _report(records: int, ceiling: dict, pulled: dict, results: Results) -> None:
    rows = [
        ["download + parse pages", ceiling["records"], ceiling["seconds"], ceiling["rss_mb"]],
        ["pull_kobo (store only)", pulled["records"], pulled["seconds"], pulled["rss_mb"]],
    ]
    for row in rows:
        row.insert(3, row[1] / row[2])
    print_table(
        f"pull backfill of {records:,} records from the Kobo sandbox (PostgreSQL)",
        ["what", "records", "s", "records/s", "peak RSS MB"],
        rows,
    )
    problems = [f"{what} saw {n:,} of {records:,} records" for what, n, *_ in rows if n != records]
    if pulled["created"] != records:
        problems.append(f"the pull stored {pulled['created']:,} new of {records:,}")
    results.add(
        f"pull backfill, {records:,} records, vs download + parse",
        pulled["records"] / pulled["seconds"],
        "records/s",
        ceiling=ceiling["records"] / ceiling["seconds"],
        target="ratio >= 0.7",
    )
    results.add("pull backfill, peak RSS", pulled["rss_mb"], "MB", target="value < 300")
    if pulled["rss_growth_mb"] is None:
        print("pull: RSS growth not measured (fewer than four pages)")
    else:
        # Flat: what the last three quarters of the pull added, against 10% of the 300 MB budget.
        results.add(
            "pull backfill, RSS growth after its first quarter",
            pulled["rss_growth_mb"],
            "MB",
            target="value < 30",
        )
    if problems:
        raise BenchFailure("pull: " + "; ".join(problems))


def _child(mode: str, env: dict[str, str]) -> dict[str, Any]:
    """Run one side in a fresh process; what it printed last (a JSON line)."""
    proc = subprocess.run(
        [sys.executable, "-m", "bench.pull_bench", mode, json.dumps(env)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise BenchFailure(f"pull ({mode}) failed: {proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _child_main(mode: str, env: dict[str, str]) -> None:
    from bench.procs import peak_rss_mb, rss_mb
    from core.clients.kobo.client import KoboClient
    from core.store.db import make_engine, make_session_factory
    from core.usecases.pull import pull_kobo
    from core.wiring import keyring_for

    settings = settings_for(
        env["url"], Path(env["workdir"]), kobo_url=env["kobo"], kobo_token=TOKEN
    )
    client = KoboClient.from_settings(settings)
    samples: list[float] = []  # resident memory after each stored page
    start = time.perf_counter()
    created = 0
    if mode == "download":
        n = 0
        for page in client.data.iter_after(env["asset"], 0, page_size=1000):
            n += len(page.results)  # parsed by the client, as the pull gets them
    else:
        engine = make_engine(settings)
        report = pull_kobo(
            make_session_factory(engine),
            client,
            env["asset"],
            secret=keyring_for(settings),
            progress=lambda _line: samples.append(rss_mb(os.getpid()) or 0.0),
        )
        n, created = report.fetched, report.created
        engine.dispose()
    seconds = time.perf_counter() - start
    out = {
        "records": n,
        "created": created,
        "seconds": seconds,
        "rss_mb": peak_rss_mb(os.getpid()),
        "rss_growth_mb": _growth(samples),
    }
    print(json.dumps(out))


def _growth(samples: list[float]) -> float | None:
    """MiB the pull grew by from the end of its first quarter of pages to its highest sample.

    Sampled once a page, so the figure is about records, not time: 117 MB at the peak may be
    where the pull starts or where 100,000 records took it. None below four pages.
    """
    if len(samples) < 4:
        return None
    quarter = len(samples) // 4  # samples[quarter - 1]: after the first quarter's last page
    return max(samples[quarter:]) - samples[quarter - 1]


def _publish(base_url: str, db_url: str, workdir: Path) -> str:
    """Import and deploy pertemuan_imp in the sandbox and record it as published here."""
    from core.store.db import make_engine, make_session_factory
    from tests.support.kobo_sandbox import SandboxServer
    from tests.support.submissions import publish_in_sandbox

    engine = make_engine(settings_for(db_url, workdir))
    try:
        with make_session_factory(engine)() as session:
            published = publish_in_sandbox(SandboxServer(base_url, TOKEN, None), session, FORM)
    finally:
        engine.dispose()
    return published.asset_uid


def _seed(base_url: str, asset: str, records: int) -> None:
    """Records meeting reports of one IMP over a year of days, in chunks."""
    from tests.support.submissions import meeting_answers

    headers = {"Authorization": f"Token {TOKEN}"}
    day0 = date(2026, 1, 1)
    done = 0
    while done < records:
        n = min(SEED_CHUNK, records - done)
        batch = [
            meeting_answers(day=day0 + timedelta(days=(done + i) % 365), women=(done + i) % 20)
            for i in range(n)
        ]
        resp = requests.post(
            f"{base_url}/__sandbox__/assets/{asset}/submissions",
            json={"records": batch},
            headers=headers,
            timeout=600,
        )
        if resp.status_code != 201:
            raise BenchFailure(f"seeding the sandbox: {resp.status_code} {resp.text[:300]}")
        done += n


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_up(base_url: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            requests.get(base_url + "/api/v2/assets/", timeout=2)
            return
        except requests.ConnectionError:
            time.sleep(0.2)
    raise BenchFailure("the Kobo sandbox did not start")


if __name__ == "__main__":
    _child_main(sys.argv[1], json.loads(sys.argv[2]))
