"""What users type never keeps a KK/NIK in clear: paths, filters, login names, referral notes.

People type identity numbers where they do not belong: a family looked up by its KK in the
URL or a `?nik=` filter, a NIK as the login name, a KK in a referral note (on the dashboard
or with `pantau alerts set-status`). Each is blanked before it is logged, audited, stored or
answered; the blank is 16 `#`.
"""

from __future__ import annotations

import io
import json
import logging
import re

from click.testing import CliRunner
from sqlalchemy import create_engine, text

from cli.main import main
from core.domain.privacy import RedactingFilter
from service.logs import JsonFormatter
from tests.conftest import pantau_env
from tests.integration.web.conftest import bearer
from tests.support.web import MELONG, cli

KK = "3277010101200012"  # a family of the seeded district
RUN = re.compile(r"\d{16}")


def _audit(settings) -> str:
    return cli(settings, "audit", "--since", "2000-01-01", "--json").stdout


def test_a_kk_in_the_path__is_blanked_in_the_answer_and_the_access_log(web):
    client, world, _ = web
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)  # as configure_logging sets up every process
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    access = logging.getLogger("pantau.access")
    level = access.level
    access.setLevel(logging.INFO)  # as deployed (PANTAU_LOG_LEVEL's default)
    access.addHandler(handler)
    try:
        api = client.get(f"/api/v1/families/{KK}", headers=bearer(world, "tpps-melong"))
        page = client.get(
            f"/families/{KK}", headers={**bearer(world, "tpps-melong"), "Accept": "text/html"}
        )
    finally:
        access.removeHandler(handler)
        access.setLevel(level)
    assert api.status_code == 404 and api.get_json()["error"]["code"] == "not_found"
    assert page.status_code in (401, 404)
    for answer in (api, page):
        assert not RUN.search(answer.get_data(as_text=True))
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    paths = [line["path"] for line in lines]
    assert "/api/v1/families/################" in paths
    assert not RUN.search(stream.getvalue())


def test_a_kk_in_a_filter__is_not_kept_by_the_audit_log(web):
    client, world, settings = web
    tpps = bearer(world, "tpps-melong")
    for url in (f"/api/v1/families?nik={KK}", f"/exports/families.csv?kk={KK}"):
        assert client.get(url, headers=tpps).status_code == 200
    trail = _audit(settings)
    assert '"nik": "################"' in trail and '"kk": "################"' in trail
    assert KK not in trail and not RUN.search(trail)


def test_a_nik_as_the_login_name__is_not_kept_in_clear(web):
    client, _, settings = web
    form = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    refused = client.post("/login", data={"username": KK, "password": "salah", "csrf_token": token})
    assert refused.status_code == 401
    assert '"actor": "################"' in _audit(settings)
    assert not RUN.search(_audit(settings))
    engine = create_engine(settings.database_url)
    with engine.connect() as conn:
        names = conn.execute(text("SELECT username FROM login_failures")).scalars().all()
    engine.dispose()
    assert "################" in names and not any(RUN.search(n) for n in names)
    # And no user may be named so: its own audit rows would be blanked.
    made = CliRunner().invoke(
        main, ["users", "add", KK, "--role", "tpps", "--wilayah", MELONG], env=pantau_env(settings)
    )
    assert made.exit_code != 0 and "16-digit" in made.output


def test_a_kk_in_a_referral_note__is_blanked_on_every_path(web):
    client, world, settings = web
    tpps = bearer(world, "tpps-melong")
    alert = world.alerts[MELONG][0]
    cli(settings, "alerts", "set-status", str(alert), "dirujuk", "--note", f"KK {KK} dirujuk")
    for note in (f"KK {KK}7", f"KK {KK}{KK}", f"KK {KK}"):  # 17 and 32 digits too
        resp = client.patch(
            f"/api/v1/alerts/{alert}", json={"referral": "diterima", "note": note}, headers=tpps
        )
        assert resp.status_code == 200, resp.data
    shown = client.get(f"/api/v1/alerts/{alert}", headers=tpps).get_json()
    notes = [h["note"] for h in shown["history"] if h["note"]]
    assert notes[-4:] == [
        "KK ################ dirujuk",
        "KK ################",
        "KK ################",
        "KK ################",
    ]
    assert not RUN.search(json.dumps(shown))
