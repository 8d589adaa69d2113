"""What storing pulled records costs PostgreSQL at best: the pull's INSERT against COPY.

Not in the default `make bench` (`scripts/bench.sh floor`). The pull backfill's target (0.7
of downloading and parsing the pages) leaves a fixed CPU budget per record on this machine;
this shows where the database alone already is. N records shaped as the pull benchmark's
(pertemuan_imp meeting reports with Kobo's metadata) are stored in chunks of 500, into an
empty `submissions` table each time, three ways:
- the pull's own statement (`core.store.inserts.insert_many`: the chunk as one jsonb
  parameter, ON CONFLICT, and whether other versions exist);
- COPY into `submissions`: no conflict handling, nothing returned, so not usable by the pull
  (a record delivered twice would fail the whole page); the floor;
- COPY into a temporary table, then one INSERT … SELECT with ON CONFLICT and RETURNING.
For each: the PostgreSQL backend's CPU (from /proc), this process's CPU and the wall time,
per record, in alternating rounds.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from bench.common import fresh_database, print_table, settings_for
from bench.results import Results
from core.store import inserts
from core.store.db import make_engine

CHUNK = 500
Store = Callable[[Session, list[dict[str, Any]], list[str]], None]


def run(workdir: Path, records: int = 20_000, results: Results | None = None) -> None:
    """Store `records` three ways, two alternating rounds each; print and add the figures."""
    results = results if results is not None else Results()
    db = fresh_database("postgresql", workdir, "floor")
    engine = make_engine(settings_for(db.url, workdir))
    rows, texts = _records(records)
    ways: dict[str, Store] = {
        "the pull's INSERT (jsonb_to_recordset)": _pull_insert,
        "COPY into submissions (the floor)": _copy_direct,
        "COPY into a temp table + INSERT … SELECT": _copy_staged,
    }
    measured: dict[str, list[tuple[float, float, float]]] = {name: [] for name in ways}
    try:
        for _ in range(2):  # alternating rounds: the box's speed drifts
            for name, store in ways.items():
                measured[name].append(_measure(engine, store, rows, texts))
    finally:
        engine.dispose()
        db.drop()
    table = []
    for name, runs in measured.items():
        server, client, wall = (min(r[i] for r in runs) for i in range(3))
        table.append([name, server, client, wall])
        results.add(f"store {records:,} pulled records: {name}, server CPU", server, "µs/record")
    print_table(
        f"storing {records:,} pulled records in chunks of {CHUNK} (PostgreSQL; best of 2)",
        ["how", "server CPU µs/rec", "client CPU µs/rec", "wall µs/rec"],
        table,
    )


def _records(n: int) -> tuple[list[dict[str, Any]], list[str]]:
    from tests.support.submissions import meeting_answers

    now = datetime.now(UTC)
    rows, texts = [], []
    for i in range(n):
        raw = meeting_answers(day=date(2026, 1, 1) + timedelta(days=i % 365), women=i % 20)
        instance = f"uuid:{uuid.uuid4()}"
        raw.update(
            {
                "_id": i + 1,
                "meta/instanceID": instance,
                "_uuid": instance[5:],
                "_xform_id_string": "pertemuan_imp",
                "__version__": "v1",
                "_submission_time": "2026-01-01T00:00:00",
            }  # fmt: skip
        )
        rows.append(
            {
                "instance_id": instance,
                "root_id": instance,
                "deprecated_id": None,
                "record_id": i + 1,
                "server": "kobo",
                "source": "pull",
                "asset_uid": "aFloor",
                "form_id": "pertemuan_imp",
                "form_version_id": None,
                "server_version": "v1",
                "version_known": False,
                "raw": raw,
                "submitted_at": now,
                "received_at": now,
                "status": "received",
                "is_latest": True,
                "process_count": 0,
            }  # fmt: skip
        )
        texts.append(json.dumps(raw, ensure_ascii=False))
    return rows, texts


def _measure(engine: sa.Engine, store: Store, rows: list, texts: list) -> tuple[float, ...]:
    with Session(engine) as session:
        session.execute(sa.text("TRUNCATE submissions CASCADE"))
        session.commit()
        backend = session.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
        s0, c0, w0 = _cpu(backend), time.process_time(), time.perf_counter()
        for start in range(0, len(rows), CHUNK):
            store(session, rows[start : start + CHUNK], texts[start : start + CHUNK])
            session.commit()
        s1, c1, w1 = _cpu(backend), time.process_time(), time.perf_counter()
        stored = session.execute(sa.text("SELECT count(*) FROM submissions")).scalar_one()
    assert stored == len(rows), f"stored {stored} of {len(rows)}"
    per = 1e6 / len(rows)
    return (s1 - s0) * per, (c1 - c0) * per, (w1 - w0) * per


def _cpu(pid: int) -> float:
    """CPU seconds of a process on this machine (the loopback PostgreSQL's backend)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pull_insert(session: Session, rows: list, texts: list) -> None:
    inserts.insert_many(session, rows, texts)


_COLUMNS = ", ".join(inserts.INSERT_COLUMNS)


def _copy(session: Session, table: str, rows: list, texts: list) -> None:
    cursor = session.connection().connection.driver_connection.cursor()
    with cursor.copy(f"COPY {table} ({_COLUMNS}) FROM STDIN") as copy:
        for row, text in zip(rows, texts, strict=True):
            copy.write_row([text if c == "raw" else row[c] for c in inserts.INSERT_COLUMNS])


def _copy_direct(session: Session, rows: list, texts: list) -> None:
    _copy(session, "submissions", rows, texts)


def _copy_staged(session: Session, rows: list, texts: list) -> None:
    session.execute(
        sa.text(
            "CREATE TEMP TABLE IF NOT EXISTS floor_stage "
            "(LIKE submissions INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
    )
    _copy(session, "floor_stage", rows, texts)
    session.execute(
        sa.text(
            f"INSERT INTO submissions ({_COLUMNS}) SELECT {_COLUMNS} FROM floor_stage "  # noqa: S608  # nosec B608
            f"ON CONFLICT (instance_id) DO NOTHING RETURNING instance_id, id, {inserts._OTHERS}"
        )
    ).all()
