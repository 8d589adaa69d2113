"""The full-size demo's delivery: a year of Kota Cimahi into the Kobo sandbox, then our webhook.

The sandbox stores each record and fires its REST Service hook for it, as kpi does for a new
submission; the hook posts to our webhook, which stores and enqueues it; the worker processes
it. The demo only submits (the sandbox's bulk endpoint, month by month, form by form) and
watches the counts in our database with a progress bar. Like demo.pipeline, the steps only
orchestrate; core and the generator are imported inside them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import click

from cli.progress import progress
from demo.processes import Supervisor
from demo.steps import DemoFailed, Steps

DISTRICT_MARKER = "demo-district.json"
CHUNK = 500  # records per bulk request
STALL_TIMEOUT = 120.0  # seconds without any progress before the wait step gives up
PULL_AFTER = 15.0  # seconds the sandbox is idle with deliveries missing before asking a pull
NUDGE_EVERY = 5.0  # seconds between requests to the worker to process the stored backlog
BACKLOG_AGE = 10  # seconds a stored submission waits for its own message before it is backlog
LOG_EVERY = 30.0  # seconds between plain progress lines when the output is not a terminal


def submit_district(
    steps: Steps,
    kobo: Any,
    assets: dict[str, str],
    var: Path,
    seed: int,
    today: date,
    records: int | None = None,
) -> Any:
    """Submit the generated year unless the sandbox holds it already; return the DistrictYear.

    `records` keeps only that many of the year's submissions, spread over it (a reduced scale
    for tests of this path; the registry stays whole).
    """
    from demo.district.year import default_end, district_year, thinned

    marker = var / DISTRICT_MARKER
    with steps.step("Kirim data setahun / submit a year of data to the Kobo sandbox (bulk)"):
        pinned = json.loads(marker.read_text()) if marker.exists() else {}
        end = pinned.get("end") or default_end(today)
        year = district_year(end, seed)
        if records is not None:
            year = thinned(year, records)
        wanted = year.by_form()
        click.echo(
            f"  seed {seed}, {year.months[0]} … {year.months[-1]}: {len(year.imps):,} IMP, "
            f"{len(year.records):,} submissions ("
            + ", ".join(f"{form} {n:,}" for form, n in sorted(wanted.items()))
            + ")"
        )
        held = {form: _count(kobo, uid) for form, uid in assets.items()}
        if all(held.get(form, 0) >= n for form, n in wanted.items()):
            click.echo(
                f"  sudah dikirim sebelumnya / already submitted earlier: {sum(held.values()):,} "
                "submissions in the sandbox; nothing sent"
            )
            return year
        # Pinned before sending: a run stopped half-way resumes the same year, not a new one.
        marker.write_text(json.dumps({"seed": seed, "end": end}) + "\n")
        created, duplicates = _send(steps, kobo, assets, year)
        click.echo(
            f"  baru/new {created:,}, duplikat/duplicate {duplicates:,} (dilewati / skipped)"
        )
    return year


def _count(kobo: Any, uid: str) -> int:
    return next(kobo.data.iter_pages(uid, fields=["_id"], page_size=1)).count


def _place(record: Any) -> tuple[str, ...]:
    """Where a record comes from: its IMP's place in the registry (desa, RW, RT), else its RT."""
    a = record.answers
    imp = a.get("wilayah/imp") or ""
    # PPKBD-<desa>-NN, SUBPPKBD-<desa>-RWnnn, KKB-<desa>-RWnnn-RTnnn: a pos KB before its RW.
    parts = imp.split("-")[1:] if imp else [a["wilayah/desa"], a.get("keluarga/rw", "")]
    return (parts[0], *(p for p in parts[1:] if not p.isdigit()))


def _batches(year: Any) -> Iterator[tuple[str, list[Any]]]:
    """(form, records) in the order they are sent: by month, then kelurahan, then place.

    Neighbours go together (a kelompok KB next to its sub pos KB and pos KB), so a batch the
    worker processes recomputes each parent's tier once for all of its children's reports.
    """
    groups: dict[tuple[str, str, str], list[Any]] = {}
    for r in year.records:
        month, desa = r.submitted.strftime("%Y-%m"), r.answers["wilayah/desa"]
        groups.setdefault((month, desa, r.form_id), []).append(r)
    for (_, _, form), records in sorted(groups.items(), key=lambda g: g[0][:2]):
        records = sorted(records, key=_place)  # stable: time order within a place
        for i in range(0, len(records), CHUNK):
            yield form, records[i : i + CHUNK]


def _send(steps: Steps, kobo: Any, assets: dict[str, str], year: Any) -> tuple[int, int]:
    """POST every record to the sandbox's bulk endpoint with hooks on; (new, duplicates)."""
    created = duplicates = sent = 0
    with progress("  terkirim/sent") as shown:
        for form, records in _batches(year):
            steps.check()
            body = {"hooks": True, "records": [r.kobo(year.seed) for r in records]}
            resp = kobo.request(
                "POST", f"/__sandbox__/assets/{assets[form]}/submissions", json=body, safe=True
            )
            answer = resp.json()
            created += len(answer["ids"])
            duplicates += answer.get("duplicates", 0)
            sent += len(records)
            shown.count(sent, len(year.records), "submissions")
    return created, duplicates


def wait_district(
    steps: Steps,
    settings: Any,
    kobo: Any,
    assets: dict[str, str],
    sup: Supervisor,
) -> None:
    """Watch our database until every submission the sandbox holds is stored and processed.

    Meanwhile the worker is asked, every few seconds, to process the backlog in batches
    (`pantau.process_pending`, which beat runs every minute): what waited longer than
    BACKLOG_AGE for the webhook's own messages. A batch rescores each IMP-month once for all
    of its reports; asking for the newest too only raced the messages for the same rows.
    """
    from sqlalchemy import create_engine

    from workers.celery_app import QUEUE_SCORING, make_celery

    celery = make_celery(settings)
    # Our own reading engine: the product's sessions take SQLite's write lock at BEGIN.
    reader = create_engine(settings.database_url)
    with steps.step("Tunggu pemrosesan / wait for sandbox hooks → webhook → worker"):
        total = sum(_count(kobo, uid) for uid in assets.values())
        watch = _Watch()
        started = last_line = time.monotonic()
        try:
            with progress("  diterima/stored") as shown:
                while True:
                    stored, done, failed = _db_counts(reader, assets)
                    counts = f"{stored:,} of {total:,}, diproses/processed {done:,}"
                    shown.update(counts, force=stored >= total and done >= stored)
                    now = time.monotonic()
                    if not shown.live and now - last_line >= LOG_EVERY:
                        # Off a terminal the bar draws nothing: a line now and then shows life.
                        click.echo(f"  {_clock(now - started)} diterima/stored {counts}")
                        last_line = now
                    if stored >= total and done >= stored:
                        break
                    if dead := sup.dead():
                        raise DemoFailed(f"{', '.join(dead)} exited")
                    steps.check()
                    if done < stored and now - watch.nudged > NUDGE_EVERY:
                        kwargs = {"limit": 100_000, "older_than_seconds": BACKLOG_AGE}
                        celery.send_task(
                            "pantau.process_pending", kwargs=kwargs, queue=QUEUE_SCORING
                        )
                        watch.nudged = now
                    watch.follow(kobo, celery, stored, done, total)
                    time.sleep(0.5)
        finally:
            reader.dispose()
        click.echo(
            f"  {stored:,} diterima & diproses / stored and processed in "
            f"{_clock(time.monotonic() - started)}"
        )
        if watch.pulled:
            click.echo("  pull dijalankan / pull run for deliveries the sandbox gave up on")
        if failed:
            click.echo(f"  peringatan/warning: {failed:,} gagal diproses / failed to process")


class _Watch:
    """Progress over time: a pull when the sandbox gave up on deliveries, a failure on a stall."""

    def __init__(self) -> None:
        now = time.monotonic()
        self.seen, self.changed, self.idle_since = (-1, -1), now, 0.0
        self.nudged = 0.0
        self.pulled = False

    def follow(self, kobo: Any, celery: Any, stored: int, done: int, total: int) -> None:
        """Note progress; ask for a pull after deliveries stopped short; fail after a stall."""
        now = time.monotonic()
        if (stored, done) != self.seen:
            self.seen, self.changed = (stored, done), now
        if stored < total and _sandbox_idle(kobo):
            self.idle_since = self.idle_since or now
            if now - self.idle_since > PULL_AFTER and not self.pulled:
                # Deliveries failed for good: the pull is the product's net for them.
                celery.send_task("pantau.pull_all", queue="intake")
                self.pulled = True
        else:
            self.idle_since = 0.0
        if now - self.changed > STALL_TIMEOUT:
            raise DemoFailed(
                f"no progress for {STALL_TIMEOUT:.0f} s: {stored:,} of {total:,} stored, "
                f"{done:,} processed (webhook: web.log, sandbox-kobo.log; processing: worker.log)"
            )


def _db_counts(reader: Any, assets: dict[str, str]) -> tuple[int, int, int]:
    """(stored, processed or failed, failed) current submissions of the demo's assets."""
    from sqlalchemy import func, select

    from core.store.models import Submission

    with reader.connect() as conn:
        rows = dict(
            conn.execute(
                select(Submission.status, func.count())
                .where(
                    Submission.server == "kobo",  # the (server, asset_uid, ...) index
                    Submission.asset_uid.in_(list(assets.values())),
                    Submission.is_latest.is_(True),
                )
                .group_by(Submission.status)
            ).all()
        )
    stored = sum(rows.values())
    return stored, stored - rows.get("received", 0), rows.get("failed", 0)


def _clock(seconds: float) -> str:
    m, s = divmod(int(seconds + 0.5), 60)
    return f"{m}:{s:02d}"


def _sandbox_idle(kobo: Any) -> bool:
    """Whether the sandbox has no delivery scheduled or in flight."""
    return bool(kobo.request("GET", "/__sandbox__/hooks/idle").json()["idle"])


def print_district_summary(steps: Steps, settings: Any, factory: Any, year: Any) -> None:
    """Print the last month's tiers and the year's KRS families, scoring unscored IMPs first."""
    from core.store.db import session_scope
    from core.wiring import rules_for
    from demo import DEMO_PREFIX
    from demo.district_summary import district_numbers, print_numbers, score_unscored
    from demo.processes import DEMO_ENV

    period = year.months[-1]
    with steps.step(f"Ringkasan / summary (periode {period}; data {year.months[0]} … {period})"):
        with session_scope(factory) as session:
            scored_now = score_unscored(session, rules_for(settings), period, DEMO_PREFIX)
        with factory() as session:
            numbers = district_numbers(session, period, DEMO_PREFIX)
        numbers.scored_now = scored_now
        print_numbers(click.echo, numbers, period)
        click.echo(
            f"  Kredensial webhook & token sandbox / secrets: {Path(settings.var_dir) / DEMO_ENV}"
        )
