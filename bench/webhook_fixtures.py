"""What the webhook benchmark posts and counts: the payload, the seeded form, rows and queue.

Apart from bench/webhook_bench.py (the measuring): these read the database and the broker
directly, before and after a round, and never run while requests are being timed.
"""

from __future__ import annotations

import base64
import json
import sqlite3
import uuid
from pathlib import Path

from sqlalchemy import func, select

from bench.bare_app import bench_bare, metadata
from bench.common import redis_url, settings_for
from core.store.db import make_engine, make_session_factory, session_scope
from core.store.models import FormVersion, Publication, Submission
from workers.celery_app import QUEUE_INTAKE

ASSET, VERSION = "aBenchPertemuanImp0001", "vBenchPertemuanImp0001"


def body_template() -> str:
    """A Kobo pertemuan_imp submission (docs/kobo.md) with id placeholders for wrk."""
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


def seed_form(database_url: str, workdir: Path) -> None:
    """The bare table and a published pertemuan_imp version the posted submissions belong to."""
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


def counts(database_url: str, workdir: Path) -> tuple[int, int]:
    """(submissions stored by the webhook, rows stored by the bare endpoint)."""
    engine = make_engine(settings_for(database_url, workdir))
    with engine.connect() as conn:
        subs = conn.scalar(select(func.count()).select_from(Submission.__table__)) or 0
        bare = conn.scalar(select(func.count()).select_from(bench_bare)) or 0
    engine.dispose()
    return subs, bare


def enqueued(broker_url: str) -> tuple[int, int]:
    """(messages, submission ids in them) waiting on the intake queue of the broker."""
    if broker_url.startswith("sqla+sqlite:///"):
        path = broker_url.removeprefix("sqla+sqlite:///")
        with sqlite3.connect(path) as conn:
            payloads = [
                row[0]
                for row in conn.execute(
                    "SELECT m.payload FROM kombu_message m JOIN kombu_queue q "
                    "ON m.queue_id = q.id WHERE q.name = ?",
                    (QUEUE_INTAKE,),
                )
            ]
    else:
        import redis

        client = redis.Redis.from_url(broker_url)
        try:
            payloads = client.lrange(QUEUE_INTAKE, 0, -1)
        finally:
            client.close()
    return len(payloads), sum(len(_task_ids(p)) for p in payloads)


def _task_ids(payload: str | bytes) -> list[int]:
    """The submission ids a `pantau.process_submissions` message carries."""
    message = json.loads(payload)
    body = message["body"]
    if message.get("properties", {}).get("body_encoding") == "base64":
        body = base64.b64decode(body)
    args = json.loads(body)[0]
    return list(args[0])


def broker_for(backend: str, workdir: Path) -> str:
    """The broker a backend is deployed with: the embedded one on SQLite, an emptied Redis DB."""
    if backend == "sqlite":
        (workdir / "var").mkdir(parents=True, exist_ok=True)
        return f"sqla+sqlite:///{workdir / 'var' / 'broker.db'}"
    import redis

    url = redis_url() + "/3"
    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()
    return url
