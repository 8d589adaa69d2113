"""docs/deploy.md, run: every `deploy-test` block of the guide, in order, as an operator would.

PostgreSQL and Redis are the private ones of scripts/test.sh, Kobo is the sandbox; the web,
worker and beat run from the units' own ExecStart lines with the environment file the guide
builds. How the test stands in for a server is at the end of the guide ("How this guide is
tested").
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import time
from datetime import date
from glob import glob
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis
import requests
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from core.domain.privacy import blank_numbers
from tests.conftest import REQUIRE_SERVICES, _need, free_port
from tests.deploy import units
from tests.deploy.guide import ROOT, Layout, forms_subset, guide_blocks, set_env_line
from tests.deploy.proxy import HOST, Proxy, nginx_binary
from tests.deploy.systemd import FakeSystemd
from tests.support.kobo_sandbox import start_kobo_sandbox
from tests.support.processes import wait_for
from tests.support.submissions import family_answers

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.redis]

PG_BIN = sorted(glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[4]))[-1]
SHIMS = Path(__file__).with_name("bin")
NO_KK = "3277010101900011"
DB_PASSWORD = "db-Pw8Xc3Vn6Mq1Lk4Jh7"
REDIS_DB = 7


class Deployment:
    """A server as the guide describes it, inside a temporary folder."""

    def __init__(self, tmp: Path, pg_admin_url: str, redis_url: str, sandbox) -> None:
        self.layout = Layout(root=ROOT, base=tmp / "server", port=free_port())
        self.tmp, self.sandbox = tmp, sandbox
        pg = urlsplit(pg_admin_url.replace("+psycopg", ""))
        self.pg_admin_url, self.pg_host, self.pg_port = pg_admin_url, pg.hostname, pg.port
        self.redis_url = redis_url
        self.blocks = guide_blocks()
        self.ran: list[str] = ["session"]
        self.layout.install_units()
        self.proxy = Proxy(self.layout.base, free_port(), free_port(), self.layout.port)
        nginx = {"nginx.service": self.proxy.install_package()}
        self.systemd = FakeSystemd(self.layout.unit_dir, tmp, packaged=nginx)
        self.services, self.actions = self.systemd.services, self.systemd.actions

    # -- the guide's blocks -----------------------------------------------------------------
    def run(self, name: str) -> subprocess.CompletedProcess:
        """Run block NAME (in a bash of its own) after the session block."""
        started = time.monotonic()
        script = "\n".join(["set -euo pipefail", self.blocks["session"], self.blocks[name]])
        home = self.tmp / "home"
        home.mkdir(exist_ok=True)
        env = {
            "PATH": f"{SHIMS}:{PG_BIN}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(home),
            "LANG": "C.UTF-8",
            "PGHOST": self.pg_host,
            "PGPORT": str(self.pg_port),
            "PANTAU_TEST_SYSTEMD_SOCKET": self.systemd.socket,
            "PANTAU_TEST_NGINX_PREFIX": str(self.layout.base),
            # The throwaway certificate stands for one a public authority signed.
            "REQUESTS_CA_BUNDLE": str(self.proxy.ca_bundle),
        }
        done = subprocess.run(
            ["bash", "-c", self.layout.localize(script)],
            env=env,
            cwd=self.tmp,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, (
            f"guide block {name!r} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
        self.ran.append(name)
        # Shown with a failure: which blocks were slow on a loaded machine.
        print(f"block {name}: {time.monotonic() - started:.1f}s")
        return done

    def pantau_env(self) -> dict[str, str]:
        """The environment file as the services read it (for the test's own checks)."""
        env = units.read_env_file(self.layout.env_file)
        return {"PATH": os.environ["PATH"], "HOME": str(self.tmp), **env}

    def cli(self, *args: str) -> str:
        """A pantau command with the deployment's environment, for checks the guide has not."""
        done = subprocess.run(
            [str(ROOT / ".venv/bin/pantau"), *args],
            env=self.pantau_env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def stop_all(self) -> None:
        self.systemd.close()

    def wait_ready(self) -> None:
        """Wait until the web (started by a block, as systemd would: not waiting) answers."""
        started = time.monotonic()
        url = f"http://127.0.0.1:{self.layout.port}/readyz"

        def ready():
            proc = self.services["pantau-web.service"]
            assert proc.poll() is None, self.systemd.log("pantau-web.service", 4000)
            try:
                return requests.get(url, timeout=2).status_code == 200
            except requests.RequestException:
                return False

        wait_for(ready, timeout=90, interval=0.3, what="pantau-web ready")
        print(f"  web ready after {time.monotonic() - started:.1f}s")

    # -- PostgreSQL -------------------------------------------------------------------------------
    def admin(self, *statements: str) -> None:
        engine = sa.create_engine(
            self.pg_admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool
        )
        with engine.connect() as conn:
            for statement in statements:
                conn.execute(sa.text(statement))
        engine.dispose()

    def drop_everything(self) -> None:
        self.admin(
            *(
                f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"
                for db in ("pantau", "pantau_restore", "pantau_damaged")
            ),
            "DROP ROLE IF EXISTS pantau",
        )

    def scalar(self, query: str, database: str = "pantau"):
        url = self.pg_admin_url.rsplit("/", 1)[0] + "/" + database
        engine = sa.create_engine(url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                return conn.execute(sa.text(query)).scalar()
        finally:
            engine.dispose()

    # -- Kobo ---------------------------------------------------------------------------------
    def asset_uid(self) -> str:
        return self.scalar(
            "SELECT server_form_id FROM publications WHERE server = 'kobo' ORDER BY id DESC LIMIT 1"
        )

    def survey(self, day: date) -> None:
        """A family survey made in ODK Collect: the sandbox's hook delivers it to our web."""
        self.wait_ready()
        started = time.monotonic()
        before = self.processed()
        self.sandbox.submit_answers(self.asset_uid(), family_answers(NO_KK, survey=day))
        wait_for(
            lambda: self.processed() > before,
            timeout=90,
            what="the survey delivered by the hook and processed by the worker\n"
            + self.systemd.log("pantau-worker@1.service", 4000),
        )
        print(f"  survey of {day} processed after {time.monotonic() - started:.1f}s")

    def processed(self) -> int:
        return self.scalar("SELECT count(*) FROM submissions WHERE status = 'processed'")

    def hook_settings(self) -> dict:
        uid = self.asset_uid()
        (hook,) = self.sandbox.api("GET", f"/api/v2/assets/{uid}/hooks/").json()["results"]
        return hook["settings"]

    def hook_headers(self) -> dict:
        return self.hook_settings().get("custom_headers") or {}

    def families(self) -> list[dict]:
        return json.loads(self.cli("score", "families", "--json"))


@pytest.fixture
def deployment(tmp_path, monkeypatch):
    pg_admin_url = _need("PANTAU_TEST_PG_URL")
    if nginx_binary() is None:
        missing = "nginx is not installed (`make system-deps` adds nginx-light)"
        pytest.fail(missing) if REQUIRE_SERVICES else pytest.skip(missing)
    redis_url = f"{_need('PANTAU_TEST_REDIS_URL')}/{REDIS_DB}"
    client = redis.Redis.from_url(redis_url)
    client.flushdb()
    client.close()
    with start_kobo_sandbox(tmp_path / "kobo.db", retry_scale=0.001, hook_timeout=10, seed=1) as sb:
        d = Deployment(tmp_path, pg_admin_url, redis_url, sb)
        try:
            # `apt-get install nginx` starts it (with no site yet).
            started = d.systemd.call(["start", "nginx.service"])
            assert started[0] == 0, started[2]
            # The sandbox's hooks post to the https address nginx serves with the test's
            # certificate.
            monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(d.proxy.ca_bundle))
            d.drop_everything()
            # What `createuser --pwprompt pantau` and `createdb --owner pantau pantau` make.
            d.admin(
                f"CREATE ROLE pantau LOGIN PASSWORD '{DB_PASSWORD}'",
                "CREATE DATABASE pantau OWNER pantau",
            )
            d.layout.install_env_file()
            yield d
        finally:
            d.stop_all()
            d.drop_everything()


def _fill_in_by_hand(d: Deployment) -> None:
    """What the guide leaves to the operator's editor: this server's addresses and accounts."""
    env_file = d.layout.env_file
    values = {
        "PANTAU_DATABASE_URL": f"postgresql+psycopg://pantau:{DB_PASSWORD}@{d.pg_host}:{d.pg_port}/pantau",
        "PANTAU_BROKER_URL": d.redis_url,
        "PANTAU_PUBLIC_URL": d.proxy.public_url,
        "PANTAU_KOBO_URL": d.sandbox.base_url,
        "PANTAU_KOBO_TOKEN": d.sandbox.token,
        "PANTAU_SMTP_URL": f"smtp://127.0.0.1:{free_port()}",
        "PANTAU_FORMS_DIR": str(forms_subset(d.tmp / "xlsforms", "keluarga_risiko")),
        # A small server: one gunicorn worker, one Celery process.
        "PANTAU_WEB_WORKERS": "1",
        "PANTAU_WORKER_CONCURRENCY": "1",
    }
    for name, value in values.items():
        set_env_line(env_file, name, value)
    assert "REPLACE_ME" not in "".join(units.read_env_file(env_file).values())
    assert env_file.stat().st_mode & 0o777 == 0o600


def _through_nginx(d: Deployment, path: str) -> int | None:
    try:
        return requests.get(d.proxy.public_url + path, timeout=5).status_code
    except requests.RequestException:
        return None


def _check_what_nginx_sets(d: Deployment) -> None:
    """Section 4's list, "What the example sets, and why", against the running nginx."""
    public, env = d.proxy.public_url, units.read_env_file(d.layout.env_file)
    # Port 80 sends browsers to https (certbot's challenges aside).
    plain = requests.get(
        f"http://{HOST}:{d.proxy.http_port}/login", allow_redirects=False, timeout=10
    )
    assert plain.status_code == 301 and plain.headers["Location"] == f"https://{HOST}/login"
    # The webhook path takes POST only; /metrics answers loopback.
    assert requests.get(f"{public}/webhooks/kobo", timeout=10).status_code == 403
    assert requests.get(f"{public}/metrics", timeout=10).status_code == 200
    # The request id: nginx's $request_id, logged by both (unless it holds a 16-digit run).
    marker = f"guide-test-{time.monotonic_ns()}"
    answer = requests.get(f"{public}/healthz", headers={"User-Agent": marker}, timeout=10)
    # nginx writes its line as the request ends, which may be just after the client has read.
    line = wait_for(
        lambda: next((line for line in d.proxy.access_log() if marker in line), None),
        timeout=10,
        what="nginx's line",
    )
    assert '"GET /healthz HTTP/1.1" 200' in line
    rid = line.rsplit("rid=", 1)[1]
    if blank_numbers(rid) == rid:
        assert answer.headers["X-Request-Id"] == rid
        wait_for(lambda: rid in d.systemd.log("pantau-web.service"), timeout=10, what="web log")
    else:
        assert answer.headers["X-Request-Id"] != rid
    # The body limit: just over Pantau's reaches Pantau (413 and a dead letter); over nginx's
    # 2m, nginx refuses it and Pantau never sees it.
    limit = int(env.get("PANTAU_WEBHOOK_MAX_BYTES", "2000000"))
    token = {"X-Pantau-Token": env["PANTAU_WEBHOOK_TOKEN"], "Content-Type": "application/json"}
    letters = d.scalar("SELECT count(*) FROM dead_letters")
    for size, by_pantau in ((limit + 1, True), (2 * 1024 * 1024 + 1, False)):
        big = requests.post(f"{public}/webhooks/kobo", data=b" " * size, headers=token, timeout=30)
        assert big.status_code == 413, big.text
        assert (big.headers.get("Content-Type") == "application/json") is by_pantau, big.headers
        assert d.scalar("SELECT count(*) FROM dead_letters") == letters + by_pantau
        letters += by_pantau


def test_guide__install_backup_restore_upgrade_and_rotations_as_written(deployment):
    d = deployment

    # 2-3. Configure and first start.
    d.run("secrets")
    keys = units.read_env_file(d.layout.env_file)
    assert len({keys[k] for k in ("PANTAU_SECRET_KEY", "PANTAU_PSEUDONYM_KEY")}) == 2
    _fill_in_by_hand(d)
    install = d.run("install")
    assert "database at revision" in install.stdout
    assert install.stdout.count("published on kobo") == 1
    assert d.scalar("SELECT count(*) FROM users WHERE username = 'dppkb-admin'") == 1
    d.run("start")
    assert {k for _, k in d.actions} == {
        "pantau-web.service",
        "pantau-worker@1.service",
        "pantau-beat.service",
    }
    assert '"status"' in d.run("ready").stdout

    # 4. nginx in front, then the operator's check of everything, the public URL through nginx.
    d.run("nginx-site")
    d.proxy.edit_site()
    d.run("nginx-enable")
    wait_for(
        lambda: _through_nginx(d, "/healthz") == 200,
        timeout=30,
        what=lambda: f"nginx serving; its error.log:\n{d.proxy.error_log_tail()}",
    )
    doctor = d.run("doctor").stdout  # exit 0: nothing required failed
    assert re.search(r"^ok +kobo", doctor, re.M | re.I) and "FAIL" not in doctor, doctor
    assert re.search(rf"^ok +public url +{re.escape(d.proxy.public_url)}", doctor, re.M), doctor
    _check_what_nginx_sets(d)
    d.survey(date(2026, 4, 20))
    assert f"worker1@{socket.gethostname()} ready" in d.systemd.log("pantau-worker@1.service")
    # The hook's delivery came through nginx: Kobo posts to PANTAU_PUBLIC_URL.
    assert any('"POST /webhooks/kobo HTTP/1.1" 202' in line for line in d.proxy.access_log())
    assert not d.proxy.logs_holding(NO_KK)

    # 5. A second worker instance beside the first, with its own node name.
    d.run("more-workers")
    wait_for(
        lambda: f"worker2@{socket.gethostname()} ready" in d.systemd.log("pantau-worker@2.service"),
        timeout=90,
        what="pantau-worker@2 ready (its log: pantau-worker@2.service.log in the test's folder)",
    )
    assert d.services["pantau-worker@1.service"].poll() is None
    for n in (1, 2):
        assert "DuplicateNodename" not in d.systemd.log(f"pantau-worker@{n}.service")

    # 6. A backup; 7. an upgrade, which makes one more first.
    listing = d.run("backup").stdout
    (dump,) = d.layout.backup_dir.glob("pantau-*.dump")
    assert dump.name in listing and f"pantau-backup: {dump}" in d.systemd.log(
        "pantau-backup.service"
    )
    d.actions.clear()
    d.run("upgrade-stop")
    assert not d.services, "upgrade-stop left a service running"
    assert ("stop", "pantau-worker@2.service") in d.actions  # 'pantau-worker@*' stops both
    # Meanwhile nginx answers Kobo 502, which Kobo retries (section 4).
    assert (
        requests.post(f"{d.proxy.public_url}/webhooks/kobo", json={}, timeout=10).status_code == 502
    )
    assert d.systemd.log("pantau-backup.service").count("pantau-backup: ") == 2
    d.run("upgrade-migrate")
    d.run("upgrade-start")
    assert len(d.services) == 3
    d.survey(date(2026, 6, 20))  # after the last dump

    # 6. The restore drill: the newest dump holds the first survey only.
    d.run("restore")
    assert "1 families" in d.run("restore-check").stdout
    assert d.scalar("SELECT count(*) FROM submissions", "pantau_restore") == 1
    d.run("restore-drop")

    # Restoring for real (the dump was checked by the drill just now; the test skips the
    # second restore-check); the pull brings back the survey made after the dump.
    d.run("restore")
    d.run("swap")
    assert not d.services
    d.run("catch-up")
    assert d.scalar("SELECT count(*) FROM submissions") == 2
    d.run("swap-start")
    assert len(d.services) == 3
    d.run("drop-damaged")
    # Only the guide's own databases: the suite's templates (pantau_template_gw*) share the server.
    guide_dbs = "('pantau', 'pantau_restore', 'pantau_damaged')"
    assert d.scalar(f"SELECT count(*) FROM pg_database WHERE datname IN {guide_dbs}") == 1
    (restored,) = d.families()  # read back by pantau from the restored database alone
    assert len(restored["history"]) == 2  # the dumped survey and the pulled one

    # 8. The webhook token: the hooks send the new one, the web takes it and refuses the old.
    old_token = units.read_env_file(d.layout.env_file)["PANTAU_WEBHOOK_TOKEN"]
    d.run("rotate-token")
    new_token = units.read_env_file(d.layout.env_file)["PANTAU_WEBHOOK_TOKEN"]
    assert new_token != old_token
    d.actions.clear()
    d.run("rotate-token-restart")
    assert d.actions == [("stop", "pantau-web.service"), ("start", "pantau-web.service")]
    # Before the publish the hook still sends the old token: its password gets it in.
    assert d.hook_headers() == {"X-Pantau-Token": old_token}
    d.survey(date(2026, 8, 20))
    published = d.run("rotate-token-publish").stdout
    assert "unchanged on kobo" in published  # no new form version
    assert re.search(r"^hook +updated \(", published, re.M)
    assert d.hook_headers() == {"X-Pantau-Token": new_token}
    d.wait_ready()
    webhook = f"http://127.0.0.1:{d.layout.port}/webhooks/kobo"
    old = requests.post(webhook, json={}, headers={"X-Pantau-Token": old_token}, timeout=10)
    new = requests.post(webhook, json={}, headers={"X-Pantau-Token": new_token}, timeout=10)
    assert old.status_code == 401 and new.status_code not in (401, 403), (old.text, new.text)

    # The password likewise, another day: the hook's token gets deliveries in meanwhile.
    user, old_password = (
        units.read_env_file(d.layout.env_file)[f"PANTAU_WEBHOOK_{k}"]
        for k in ("USERNAME", "PASSWORD")
    )
    d.run("rotate-password")
    new_password = units.read_env_file(d.layout.env_file)["PANTAU_WEBHOOK_PASSWORD"]
    assert new_password != old_password
    d.run("rotate-token-restart")
    assert d.hook_settings()["password"] == old_password
    d.survey(date(2026, 9, 20))
    d.run("rotate-token-publish")
    assert d.hook_settings()["password"] == new_password
    d.wait_ready()
    old = requests.post(webhook, json={}, auth=(user, old_password), timeout=10)
    new = requests.post(webhook, json={}, auth=(user, new_password), timeout=10)
    assert old.status_code == 401 and new.status_code not in (401, 403), (old.text, new.text)

    # 9. The pseudonym key: one family before and after, its history whole.
    before = d.scalar("SELECT family_key FROM families")
    rotated = d.run("rotate-keys")
    assert "re-keyed" in rotated.stdout
    env = units.read_env_file(d.layout.env_file)
    assert env["PANTAU_PSEUDONYM_PREVIOUS_KEYS"] == keys["PANTAU_PSEUDONYM_KEY"]
    assert env["PANTAU_PSEUDONYM_KEY"] not in (keys["PANTAU_PSEUDONYM_KEY"], "")
    assert "PANTAU_NEW_PSEUDONYM_KEY" not in env
    # Interrupted: the shell lost after `keys rotate` committed, before the file said so.
    # The block, run again as it is, finishes that rotation with the key saved in the file.
    first, second = env["PANTAU_PSEUDONYM_KEY"], "second-rotation-Hq7Wd2Lx9Pk4Vz6Mc3Nb8"
    with d.layout.env_file.open("a") as fh:
        fh.write(f"PANTAU_NEW_PSEUDONYM_KEY={second}\n")
    assert "re-keyed" in d.cli("keys", "rotate")
    d.run("rotate-keys")
    env = units.read_env_file(d.layout.env_file)
    assert env["PANTAU_PSEUDONYM_KEY"] == second
    assert env["PANTAU_PSEUDONYM_PREVIOUS_KEYS"] == f"{keys['PANTAU_PSEUDONYM_KEY']},{first}"
    assert "PANTAU_NEW_PSEUDONYM_KEY" not in env
    # Interrupted later: between the two lines that save the keys (the previous keys saved,
    # the current one not yet). Run again, the block finishes without a key listed twice.
    third = "third-rotation-Tb6Xn1Qe8Ws3Jk5Ry2Uc9"
    with d.layout.env_file.open("a") as fh:
        fh.write(f"PANTAU_NEW_PSEUDONYM_KEY={third}\n")
    assert "re-keyed" in d.cli("keys", "rotate")
    chain = f"{keys['PANTAU_PSEUDONYM_KEY']},{first},{second}"
    text = d.layout.env_file.read_text()
    d.layout.env_file.write_text(
        text.replace(
            f"PANTAU_PSEUDONYM_PREVIOUS_KEYS={keys['PANTAU_PSEUDONYM_KEY']},{first}\n",
            f"PANTAU_PSEUDONYM_PREVIOUS_KEYS={chain}\n",
        )
    )
    d.run("rotate-keys")
    env = units.read_env_file(d.layout.env_file)
    assert (env["PANTAU_PSEUDONYM_KEY"], env["PANTAU_PSEUDONYM_PREVIOUS_KEYS"]) == (third, chain)
    assert "PANTAU_NEW_PSEUDONYM_KEY" not in env
    d.actions.clear()
    d.run("rotate-keys-restart")
    assert sorted(k for a, k in d.actions if a == "start") == [
        "pantau-beat.service",
        "pantau-web.service",
        "pantau-worker@1.service",
    ]
    d.survey(date(2026, 10, 20))
    (after,) = d.families()
    assert after["family"] != before
    # Before the dump, after it (pulled), between each credential's restart and publish, after
    # the key rotation.
    assert len(after["history"]) == 5

    assert set(d.ran) == set(d.blocks), f"blocks no test runs: {set(d.blocks) - set(d.ran)}"
