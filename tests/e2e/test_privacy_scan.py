"""No KK/NIK number anywhere: a run through gunicorn, a worker and the CLI, then a scan.

KK numbers are posted as strings, numbers, lists, nested objects, in free text and under other
keys, in refused bodies (plain, `\\u`-escaped, UTF-16) and an unknown asset id; the pull, the
replay and every listing command run over them. Then the database's every table, the embedded
broker's messages (their bodies decoded), the web and worker logs and every command's output
are scanned for any 16-digit number, and the SQLite files byte for byte for the numbers posted.
"""

from __future__ import annotations

import base64
import json
import re
import subprocess
import uuid
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.store.models import Alert, Submission
from tests.conftest import PANTAU, free_port, make_settings, pantau_env
from tests.integration.intake.conftest import AUTH, submit_and_read
from tests.support.kobo_sandbox import start_kobo_sandbox
from tests.support.privacy import kk_shaped
from tests.support.processes import Proc, wait_for
from tests.support.submissions import family_answers, publish_in_sandbox

pytestmark = pytest.mark.slow

KKS = [f"32770101019{n:05d}" for n in range(10, 30)]
HUGE = "1" + "0" * 15  # posted as a count: KK-shaped, so it must not be kept in clear either
POSTED = [*KKS, HUGE]
ENCODINGS = ("utf-8", "utf-16-le", "utf-16-be")
TOKENS = re.compile(rb"(?:kel|invalid)_[0-9a-f]{20}")


def _variants(sandbox, form):
    """(record or raw body, content type) pairs carrying KK numbers in every way a sender may."""
    out = []

    def record(i, **extra):
        rec = submit_and_read(sandbox, form, family_answers(KKS[i]))
        rec.update(extra)
        return rec

    out.append(record(0))  # as Kobo sends it: a string
    rec = record(1)
    rec["keluarga/no_kk"] = int(KKS[1])  # a number
    out.append(rec)
    rec = record(2)
    rec["keluarga/no_kk"] = [KKS[2]]  # a list
    out.append(rec)
    rec = record(3)
    rec["keluarga/no_kk"] = {"nomor": KKS[3], "lagi": [int(KKS[3])]}  # nested
    out.append(rec)
    out.append(record(4, catatan=f"KK lama {KKS[5]}, NIK istri {KKS[6]}"))  # free text
    out.append(record(7, **{"istri/nik_istri": KKS[8], "lain/nomor": int(KKS[9])}))
    rec = record(10, catatan=_fullwidth(KKS[1]))  # fullwidth digits
    out.append(rec)
    rec = record(11)
    del rec["keluarga/no_kk"]  # missing
    out.append(rec)
    rec = record(12)
    rec["istri/jumlah_anak_hidup"] = HUGE  # a huge number (and KK-shaped)
    out.append(rec)
    rec = record(19)
    rec["istri/jumlah_anak_hidup"] = "1e400"  # a huge number
    out.append(rec)
    bad = dict(record(13), _xform_id_string=KKS[14])  # an unknown asset: a KK as its id
    out.append(bad)
    out.append((f'{{"keluarga/no_kk": "{KKS[15]}", "broken": '.encode(), "application/json"))
    escaped = "".join(f"\\u00{ord(c):02x}" for c in KKS[16])
    out.append((f'{{"keluarga/no_kk": "{escaped}", '.encode(), "application/json"))
    out.append((f'{{"keluarga/no_kk": "{KKS[17]}"}}'.encode("utf-16"), "application/json"))
    out.append((f"<data><no_kk>{KKS[18]}</no_kk></data>".encode(), "application/xml"))
    out.append((f'{{"_uuid": "{uuid.uuid4()}", "_id": {"9" * 4301}}}'.encode(), "application/json"))
    return out


def _post(url, item):
    if isinstance(item, tuple):
        body, ctype = item
        return requests.post(url, data=body, headers={**AUTH, "Content-Type": ctype}, timeout=30)
    return requests.post(url, json=item, headers=AUTH, timeout=30)


def _cli(settings, outputs, *args, ok=(0,)):
    proc = subprocess.run(
        [PANTAU, *args], env=pantau_env(settings), capture_output=True, timeout=300
    )
    outputs.append((" ".join(args), proc.stdout + proc.stderr))
    assert proc.returncode in ok, (args, proc.stdout, proc.stderr)
    return proc.stdout


def _database_text(settings) -> list[tuple[str, bytes]]:
    engine = sa.create_engine(settings.database_url)
    out = []
    with engine.connect() as conn:
        for table in sa.inspect(engine).get_table_names():
            for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')):
                text = repr(tuple(bytes(v) if isinstance(v, memoryview) else v for v in row))
                out.append((f"table {table}", text.encode()))
    engine.dispose()
    return out


def _broker_messages(settings) -> list[tuple[str, bytes]]:
    """The embedded broker's messages, each with its base64 body decoded (kombu's SQL transport)."""
    engine = sa.create_engine(settings.broker_url.removeprefix("sqla+"))
    out = []
    with engine.connect() as conn:
        if "kombu_message" in sa.inspect(engine).get_table_names():
            for (payload,) in conn.execute(sa.text("SELECT payload FROM kombu_message")):
                body = base64.b64decode(json.loads(payload)["body"])
                out.append(("broker message", payload.encode() + b"\n" + body))
    engine.dispose()
    return out


def _files(var: Path) -> list[tuple[str, bytes]]:
    return [(str(p), p.read_bytes()) for p in sorted(var.rglob("*")) if p.is_file()]


def _sqlite_file(where: str, data: bytes) -> bool:
    return data.startswith(b"SQLite format 3\x00") or where.endswith(("-wal", "-journal"))


def _clear_numbers(where: str, data: bytes) -> list[str]:
    data = TOKENS.sub(b"", data)
    found = [kk for kk in POSTED if any(kk.encode(enc) in data for enc in ENCODINGS)]
    # An integer column keeps its value as 8 big-endian bytes, not as digits.
    found += [kk for kk in POSTED if int(kk).to_bytes(8, "big") in data]
    found += [kk for kk in KKS if _fullwidth(kk).encode() in data]
    if _sqlite_file(where, data):
        # SQLite keeps a row's values back to back, with no separator: a form id, its version
        # 2026102001 and an xform_sha256 that begins with six decimal digits read as one
        # 16-digit run (it happened once). The tables' rows are scanned value by value for
        # any KK-shaped number (_database_text); the files byte for byte, for the posted ones.
        return [f"{where}: {n[:4]}…" for n in found]
    texts = [data.decode("utf-8", "ignore")]
    # digits with a NUL between them (UTF-16), either byte order
    texts += [data.decode(enc, "ignore") for enc in ("utf-16-le", "utf-16-be")]
    found += [n for text in texts for n in kk_shaped(text)]
    return [f"{where}: {n[:4]}…" for n in found]


def _fullwidth(digits: str) -> str:
    return "".join(chr(ord("０") + int(d)) for d in digits)


def test_no_kk_number_anywhere_after_a_run_through_web_worker_and_cli(settings, tmp_path):
    with start_kobo_sandbox(tmp_path / "kobo.db", seed=5) as sandbox:
        s = make_settings(
            tmp_path,
            database_url=settings.database_url,
            kobo_url=sandbox.base_url,
            kobo_token=sandbox.token,
        )
        engine = sa.create_engine(settings.database_url)
        with Session(engine) as session:
            form = publish_in_sandbox(sandbox, session, "keluarga_risiko")
        port = free_port()
        web = Proc(["serve", "--port", str(port)], pantau_env(s), tmp_path / "web.log")
        worker = Proc(["worker"], pantau_env(s), tmp_path / "worker.log")
        outputs: list[tuple[str, bytes]] = []
        try:
            url = f"http://127.0.0.1:{port}"
            wait_for(lambda: _up(url), timeout=60, what=f"web\n{web.output()}")
            answers = [_post(url + "/webhooks/kobo", item) for item in _variants(sandbox, form)]
            assert all(r.status_code < 500 for r in answers), [r.status_code for r in answers]
            assert sum(r.status_code == 202 for r in answers) == 10

            def settled():
                with Session(engine) as sess:
                    waiting = select(func.count()).where(Submission.status == "received")
                    return sess.scalar(waiting.select_from(Submission)) == 0

            wait_for(settled, timeout=180, interval=1, what=f"processing\n{worker.output()}")
            with Session(engine) as sess:
                # The alerts' texts are among the tables scanned below: there must be some.
                assert sess.scalar(select(func.count()).select_from(Alert)) > 0
            _cli(s, outputs, "pull")
            replay = tmp_path / "export.json"
            exported = {
                "_uuid": str(uuid.uuid4()),
                "_xform_id_string": form.asset_uid,
                "__version__": form.version_uid,
                "keluarga/no_kk": int(KKS[19]),
                "catatan": f"KK {KKS[19]}",
            }
            replay.write_text(json.dumps([exported]))
            _cli(s, outputs, "intake", "replay", str(replay))
            _cli(s, outputs, "score", "families", "--json")
            _cli(s, outputs, "score", "families")
            problems = _cli(s, outputs, "intake", "problems")
            _cli(s, outputs, "intake", "problems", "--json")
            _cli(s, outputs, "intake", "dead-letters", "--json")
            _cli(s, outputs, "intake", "dead-letters")
        finally:
            web.stop()
            worker.stop()
            engine.dispose()
        # the sender's data problems are named as such, by field
        assert b"no_kk=(missing): required answer missing" in problems
        assert b"no_kk=(withheld)" in problems
        assert b"jumlah_anak_hidup" in problems and b"out of range" in problems
        assert b"unexpected error" not in problems

        broker = _broker_messages(s)
        assert broker  # the tasks went through it: its scan is not empty
        found = []
        for where, data in [
            *_database_text(s),
            *broker,
            *_files(s.var_dir),  # the SQLite database, its WAL, the broker, var/ logs
            ("web log", Path(web.log).read_bytes()),
            ("worker log", Path(worker.log).read_bytes()),
            *outputs,
        ]:
            found += _clear_numbers(where, data)
        assert found == []


def _up(url):
    try:
        return requests.get(url + "/healthz", timeout=2).ok
    except requests.RequestException:
        return False
