"""`pantau demo` end to end: sandbox, publish, submissions, worker, summary; re-run; Ctrl-C."""

import json
import os
import re
import signal
import smtplib
import socket
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from core.clients.kobo import KoboClient
from core.store.db import make_engine, make_session_factory
from core.store.models import Institution, Publication, Submission, TierAssessment
from demo.district import SEED
from demo.district.year import district_year, thinned
from demo.registry import ppkbd_code
from demo.samples import CRAFTED_TIERS, sample_submissions
from tests.conftest import free_port, make_settings, pantau_env
from tests.support.mail import maildir_texts
from tests.support.privacy import kk_shaped
from tests.support.processes import Proc, wait_for

pytestmark = pytest.mark.slow
SAMPLES = len(sample_submissions(date(2026, 11, 23)))


def _processes_with(marker: str) -> list[int]:
    pids = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker.encode() in environ.read_bytes():
                pids.append(int(environ.parent.name))
        except OSError:
            continue
    return pids


def _readyz(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
            return json.load(r)
    except OSError:
        return None


def _demo_env(var: Path) -> dict[str, str]:
    lines = (var / "demo.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def _dashboard_overview(port: int, password: str) -> str:
    """Sign in as the demo admin like a browser and return the overview page."""
    base = f"http://127.0.0.1:{port}"
    with requests.Session() as browser:
        form = browser.get(f"{base}/login", timeout=10).text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        login = {"username": "admin-demo", "password": password, "csrf_token": csrf}
        resp = browser.post(f"{base}/login", data=login, timeout=10)
        assert resp.status_code == 200 and resp.url == f"{base}/", resp.text[:300]
        return resp.text


def _sandbox_state(url: str, token: str) -> dict[str, tuple]:
    """Per asset: (name, current version, deployed version, how many versions were deployed)."""
    with KoboClient(url, token) as kobo:
        assets = [kobo.assets.get(a.uid) for a in kobo.assets.list(asset_type="survey")]
        return {
            a.uid: (a.name, a.version_id, a.deployed_version_id, len(a.deployed_versions))
            for a in assets
        }


def _sandbox_submissions(url: str, token: str) -> int:
    with KoboClient(url, token) as kobo:
        return sum(
            next(kobo.data.iter_pages(a.uid, page_size=1)).count
            for a in kobo.assets.list(asset_type="survey")
        )


def _db_counts(settings):
    """Submissions by status, publications, and the tiers stored for the demo's month."""
    month = json.loads((settings.var_dir / "demo-samples.json").read_text())["month"]
    engine = make_engine(settings)
    try:
        with make_session_factory(engine)() as session:
            by_status = dict(
                session.execute(
                    select(Submission.status, func.count()).group_by(Submission.status)
                ).all()
            )
            publications = session.scalar(select(func.count(Publication.id)))
            tiers = dict(
                session.execute(
                    select(TierAssessment.imp_code, TierAssessment.tier).where(
                        TierAssessment.period == month
                    )
                ).all()
            )
    finally:
        engine.dispose()
    return by_status, publications, tiers


def _start(tmp_path, settings, ports, name, size=("--small",)):
    web, sandbox, smtp = ports
    args = ["demo", "--port", str(web), "--sandbox-port", str(sandbox), "--smtp-port", str(smtp)]
    return Proc([*args, *size], pantau_env(settings), tmp_path / f"{name}.log")


def _stop_with_ctrl_c(demo: Proc, marker: str) -> None:
    demo.signal(signal.SIGINT)
    assert demo.popen.wait(60) == 0, demo.output()
    assert demo.output().rstrip().endswith("stopped")
    # web, worker, beat, sandbox, SMTP sink and their pool processes are all gone
    assert wait_for(lambda: not _processes_with(marker), timeout=20, what="children to exit")


def test_demo__runs_the_pipeline_and_a_second_run_adds_nothing(tmp_path):
    settings = make_settings(tmp_path)
    ports = (free_port(), free_port(), free_port())
    web, sandbox_port, smtp_port = ports
    marker = f"PANTAU_VAR_DIR={settings.var_dir}"
    running = f"Pantau is running at http://127.0.0.1:{web}"

    demo = _start(tmp_path, settings, ports, "demo1")
    try:
        wait_for(lambda: running in demo.output(), timeout=400, what=f"the demo\n{demo.output()}")
        out = demo.output()
        body = _readyz(web)
        assert body and body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"]
        # numbered steps, in order
        steps = re.findall(r"^\[(\d+)/(\d+)\]", out, flags=re.M)
        assert [int(n) for n, _ in steps] == list(range(1, len(steps) + 1))
        # the summary: the three crafted tiers, KRS families per desa, one stunted child
        assert "Tingkat IMP / IMP tiers" in out
        for desa, tier in CRAFTED_TIERS.items():
            assert re.search(rf"{re.escape(ppkbd_code(desa))}\s+\S+\s+{tier.capitalize()}\b", out)
        assert re.search(r"32\.77\.01\.1001 Melong\s+\d+ dari/of 10 keluarga KRS; 1 anak", out)
        assert re.search(r"32\.77\.02\.1001 Baros\s+\d+ dari/of 10 keluarga KRS", out)
        # alerts went to the TPPS of the kelurahan with findings, into the sink's Maildir
        assert re.search(r"\d+ peringatan / alerts; e-mail:", out)
        assert re.search(r"TPPS Kelurahan Melong\s+tpps\.melong@cimahi\.example\s+\d+ sent", out)
        assert "not sent yet" not in out
        mails = sorted((settings.var_dir / "mail" / "new").iterdir())
        assert mails and f"{settings.var_dir / 'mail'}" in out
        texts = maildir_texts(settings.var_dir / "mail")
        assert len(texts) == len(mails)
        assert any("Yth. TPPS Kelurahan Melong" in text for text in texts)
        assert not any(kk_shaped(text) for text in texts)
        # secrets are kept in var/demo.env (0600), never printed
        secrets = _demo_env(settings.var_dir)
        assert (settings.var_dir / "demo.env").stat().st_mode & 0o777 == 0o600
        for key in (
            "PANTAU_WEBHOOK_PASSWORD",
            "PANTAU_WEBHOOK_TOKEN",
            "PANTAU_KOBO_TOKEN",
            "PANTAU_DEMO_ADMIN_PASSWORD",
        ):
            assert secrets[key] and secrets[key] not in out
        # the dashboard: its URL and the demo login, whose password is in demo.env
        assert f"dashboard: http://127.0.0.1:{web}/  login admin-demo" in out
        overview = _dashboard_overview(web, secrets["PANTAU_DEMO_ADMIN_PASSWORD"])
        assert "Ringkasan · Kota Cimahi" in overview and "Cimahi Selatan" in overview
        # the SMTP sink is a real SMTP server
        with smtplib.SMTP("127.0.0.1", smtp_port, timeout=5) as smtp:
            assert smtp.noop()[0] == 250
        # the database holds every sample, processed, and the crafted tiers
        by_status, publications, tiers = _db_counts(settings)
        assert by_status == {"processed": SAMPLES}
        assert publications == 5
        for desa, tier in CRAFTED_TIERS.items():
            assert tiers[ppkbd_code(desa)] == tier
        kobo_url = f"http://127.0.0.1:{sandbox_port}"
        versions = _sandbox_state(kobo_url, secrets["PANTAU_KOBO_TOKEN"])
        assert len(versions) == 5
        assert all(v[1] == v[2] and v[3] == 1 for v in versions.values()), versions
        assert _sandbox_submissions(kobo_url, secrets["PANTAU_KOBO_TOKEN"]) == SAMPLES
        _stop_with_ctrl_c(demo, marker)
    finally:
        demo.stop()

    # A second run on the same var dir: forms unchanged, nothing submitted again.
    again = _start(tmp_path, settings, ports, "demo2")
    try:
        wait_for(lambda: running in again.output(), timeout=300, what=f"re-run\n{again.output()}")
        out = again.output()
        assert out.count("tidak berubah / unchanged") == 5
        assert "already submitted earlier" in out
        for desa, tier in CRAFTED_TIERS.items():
            assert re.search(rf"{re.escape(ppkbd_code(desa))}\s+\S+\s+{tier.capitalize()}\b", out)
        secrets_again = _demo_env(settings.var_dir)
        assert secrets_again == secrets
        kobo_url = f"http://127.0.0.1:{sandbox_port}"
        assert _sandbox_state(kobo_url, secrets["PANTAU_KOBO_TOKEN"]) == versions
        assert _sandbox_submissions(kobo_url, secrets["PANTAU_KOBO_TOKEN"]) == SAMPLES
        assert _db_counts(settings) == (by_status, publications, tiers)
        assert sorted((settings.var_dir / "mail" / "new").iterdir()) == mails  # nothing re-sent
        _stop_with_ctrl_c(again, marker)
    finally:
        again.stop()


@pytest.mark.parametrize("to", ["demo", "terminal group"])
def test_demo__ctrl_c_during_publishing_stops_every_child(tmp_path, to):
    # A terminal's Ctrl-C reaches the demo's own subprocesses too (ODK Validate's Java).
    settings = make_settings(tmp_path)
    marker = f"PANTAU_VAR_DIR={settings.var_dir}"
    demo = _start(tmp_path, settings, (free_port(), free_port(), free_port()), "demo")
    try:
        wait_for(
            lambda: "[6/10]" in demo.output(), timeout=120, what=f"publishing\n{demo.output()}"
        )
        time.sleep(1.5)  # inside a form's build
        assert _processes_with(marker)
        if to == "demo":
            demo.signal(signal.SIGINT)
        else:
            os.killpg(demo.popen.pid, signal.SIGINT)
        assert demo.popen.wait(60) == 0, demo.output()
        out = demo.output()
        assert out.rstrip().endswith("stopping…\nstopped"), out
        assert "gagal/failed" not in out and "Pantau is running" not in out
        assert wait_for(lambda: not _processes_with(marker), timeout=20, what="children to exit")
    finally:
        demo.stop()


def test_demo__a_failing_step_is_named_with_the_logs_and_exits_non_zero(tmp_path):
    settings = make_settings(tmp_path)
    marker = f"PANTAU_VAR_DIR={settings.var_dir}"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        demo = _start(tmp_path, settings, (free_port(), busy, free_port()), "demo")
        try:
            assert demo.popen.wait(120) == 1
        finally:
            demo.stop()
    out = demo.output()
    assert "langkah/step 5/10" in out and "gagal/failed" in out
    assert f"port {busy} (Kobo sandbox)" in out and "--sandbox-port" in out
    assert f"log: {settings.var_dir / 'logs'}/*.log" in out
    assert not _processes_with(marker)


# The full-size path (Kota Cimahi's whole registry, the year's submissions through the sandbox's
# hooks and our webhook) at a reduced number of submissions: `make test` stays fast; the
# generator's full-size counts are checked in tests/unit/test_demo_district.py.
DISTRICT_RECORDS = 120


def _district_db(settings):
    """Current submissions by status, and IMPs registered per kind."""
    engine = make_engine(settings)
    try:
        with make_session_factory(engine)() as session:
            by_status = dict(
                session.execute(
                    select(Submission.status, func.count())
                    .where(Submission.is_latest.is_(True))
                    .group_by(Submission.status)
                ).all()
            )
            kinds = dict(
                session.execute(
                    select(Institution.kind, func.count()).group_by(Institution.kind)
                ).all()
            )
    finally:
        engine.dispose()
    return by_status, kinds


def test_demo__district_path_registers_cimahi_delivers_through_the_webhook_and_reruns_safely(
    tmp_path,
):
    settings = make_settings(tmp_path)
    ports = (free_port(), free_port(), free_port())
    web = ports[0]
    running = f"Pantau is running at http://127.0.0.1:{web}"
    size = ("--records", str(DISTRICT_RECORDS))
    marker = f"PANTAU_VAR_DIR={settings.var_dir}"

    demo = _start(tmp_path, settings, ports, "district1", size)
    try:
        wait_for(lambda: running in demo.output(), timeout=600, what=f"the demo\n{demo.output()}")
        out = demo.output()
        steps = re.findall(r"^\[(\d+)/(\d+)\]", out, flags=re.M)
        assert [int(n) for n, _ in steps] == list(range(1, len(steps) + 1))
        # the registry through `pantau imps import`: the whole district
        assert "pantau imps import district/imps.csv" in out
        assert "2,119 IMP (PPKBD, Sub-PPKBD, Kelompok KB); baru/new 2,119" in out
        # the year's submissions (the same the generator makes for the pinned last month)
        end = json.loads((settings.var_dir / "demo-district.json").read_text())["end"]
        year = thinned(district_year(end, SEED), DISTRICT_RECORDS)
        assert f"baru/new {DISTRICT_RECORDS}, duplikat/duplicate 0" in out
        assert f"{DISTRICT_RECORDS} diterima & diproses / stored and processed" in out
        # the tier distribution: every IMP of the period, per kind
        assert f"Tingkat IMP periode {end}" in out
        for kind, n in (("PPKBD", 71), ("Sub-PPKBD", 320), ("Kelompok KB", 1_728)):
            row = re.search(rf"^    {kind}\s+([\d,]+)\s+([\d,]+)\s+([\d,]+)\s+([\d,]+)$", out, re.M)
            assert row, (kind, out)
            d, b, m, total = (int(x.replace(",", "")) for x in row.groups())
            assert d + b + m == total == n
        # KRS: one row per surveyed family, over the kota
        surveys = [r for r in year.records if r.form_id == "keluarga_risiko"]
        families = len({r.answers["keluarga/no_kk"] for r in surveys})
        kota = re.search(r"^    Kota Cimahi\s+([\d,]+)\s+([\d,]+)\s", out, re.M)
        assert kota and int(kota.group(1)) == families
        assert 0 < int(kota.group(2)) <= families
        # alerts and where they went, every one sent; the dashboard and its login
        alerts = re.search(r"([\d,]+) peringatan / alerts; e-mail:", out)
        assert alerts and int(alerts.group(1).replace(",", "")) > 0, out
        assert "not sent yet" not in out
        listed = out[alerts.end() : out.index("Kotak surat / mailbox")].strip().splitlines()
        assert listed and all(line.rstrip().endswith(" sent") for line in listed), listed
        assert f"Kotak surat / mailbox (Maildir): {settings.var_dir / 'mail'}" in out
        assert f"dashboard: http://127.0.0.1:{web}/  login admin-demo" in out
        by_status, kinds = _district_db(settings)
        assert by_status == {"processed": DISTRICT_RECORDS}
        assert kinds == {"ppkbd": 71, "sub_ppkbd": 320, "kelompok_kb": 1_728}
        mails = sorted((settings.var_dir / "mail" / "new").iterdir())
        texts = maildir_texts(settings.var_dir / "mail")
        assert texts and len(texts) == len(mails) and all("Yth. " in text for text in texts)
        assert not any(kk_shaped(text) for text in texts)
        _stop_with_ctrl_c(demo, marker)
    finally:
        demo.stop()

    # Again on the same var dir: nothing registered, submitted or mailed twice.
    again = _start(tmp_path, settings, ports, "district2", size)
    try:
        wait_for(lambda: running in again.output(), timeout=600, what=f"re-run\n{again.output()}")
        out = again.output()
        assert "baru/new 0, tidak berubah/unchanged 2,119" in out
        assert "already submitted earlier" in out
        assert _district_db(settings) == (by_status, kinds)
        assert sorted((settings.var_dir / "mail" / "new").iterdir()) == mails
        _stop_with_ctrl_c(again, marker)
    finally:
        again.stop()

    # Another size on the same var dir is refused, naming the way out.
    small = _start(tmp_path, settings, (free_port(), free_port(), free_port()), "small")
    try:
        assert small.popen.wait(120) == 1
    finally:
        small.stop()
    assert "holds the data of another demo" in small.output()
