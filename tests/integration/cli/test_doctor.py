"""`pantau doctor` against the Kobo sandbox, the Central stub and a deliberately broken setup."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from tests.integration.cli.conftest import Admin, table_counts, tree
from tests.support.central_stub import serve_central_stub
from tests.support.kobo_sandbox import start_kobo_sandbox
from tests.support.submissions import publish_in_sandbox


@contextmanager
def _healthy_web() -> Iterator[str]:
    """Something answering /healthz as `pantau serve` does, on a loopback port."""

    @Request.application
    def app(request: Request) -> Response:
        return Response("{}", 200 if request.path == "/healthz" else 404)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@pytest.fixture
def servers(tmp_path):
    """The Kobo sandbox (with one of our forms published to it), the Central stub, a web."""
    with (
        start_kobo_sandbox(tmp_path / "kobo.db") as kobo,
        serve_central_stub() as central,
        _healthy_web() as web,
    ):
        yield kobo, central, web


def _env(admin: Admin, kobo, central, web, **extra: str) -> dict[str, str]:
    (admin.home / "var" / "broker.db").touch()  # the first worker would have made it
    return {
        **admin.good_env,
        "PANTAU_KOBO_URL": kobo.base_url,
        "PANTAU_KOBO_TOKEN": kobo.token,
        "PANTAU_CENTRAL_URL": central.url,
        "PANTAU_CENTRAL_EMAIL": central.email,
        "PANTAU_CENTRAL_PASSWORD": central.password,
        "PANTAU_CENTRAL_PROJECT": "1",
        "PANTAU_PUBLIC_URL": web,
        **extra,
    }


def _lines(output: str) -> dict[str, tuple[str, str]]:
    out = {}
    for line in output.splitlines():
        mark, rest = line.split(None, 1)
        name, _, detail = rest.partition("  ")
        out[name.strip()] = (mark, detail.strip())
    return out


def test_doctor__every_check_passes_on_a_working_setup_and_nothing_is_written(
    admin: Admin, servers, admin_sessions
):
    kobo, central, web = servers
    with admin_sessions() as session:
        publish_in_sandbox(kobo, session, "profil_imp")
    env = _env(admin, kobo, central, web)
    files, rows = tree(admin.home), table_counts(admin.db)

    result = admin.run(["doctor"], env)

    assert result.exit_code == 0, result.output
    checks = _lines(result.stdout)
    assert list(checks) == [
        "settings",
        "database",
        "keys",
        "broker",
        "kobo",
        "central",
        "public url",
        "forms",
        "rules",
    ]
    assert {mark for mark, _ in checks.values()} == {"ok"}, result.stdout
    assert "token accepted" in checks["kobo"][1] and "1 published form(s)" in checks["kobo"][1]
    assert "logged in, project 1" in checks["central"][1]
    assert "5 form(s)" in checks["forms"][1] and "lint clean" in checks["forms"][1]
    assert tree(admin.home) == files and table_counts(admin.db) == rows

    as_json = admin.run(["doctor", "--json"], env)
    assert as_json.exit_code == 0
    assert [c["status"] for c in json.loads(as_json.stdout)] == ["ok"] * 9


def test_doctor__servers_not_configured_are_said_so_and_do_not_fail(admin: Admin, servers):
    _, _, web = servers
    env = {**admin.good_env, "PANTAU_PUBLIC_URL": web}
    result = admin.run(["doctor"], env)
    assert result.exit_code == 0, result.output
    checks = _lines(result.stdout)
    assert checks["kobo"] == ("-", "PANTAU_KOBO_URL is not set")
    assert checks["central"] == ("-", "PANTAU_CENTRAL_URL is not set")
    assert checks["broker"][0] == "warn"  # the embedded broker file is made by the first worker


def test_doctor__a_broken_setup_fails_naming_what_to_fix(admin: Admin, servers, tmp_path):
    kobo, central, web = servers
    env = _env(
        admin,
        kobo,
        central,
        web,
        PANTAU_DATABASE_URL=f"sqlite:///{tmp_path}/typo/pantau.db",
        PANTAU_BROKER_URL="redis://127.0.0.1:9/0",
        PANTAU_KOBO_TOKEN="wrong-token",
        PANTAU_CENTRAL_PASSWORD="wrong-password",
        PANTAU_FORMS_DIR=str(tmp_path / "no-forms"),
        PANTAU_RULES_DIR=str(tmp_path / "no-rules"),
    )
    result = admin.run(["doctor"], env)

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    checks = _lines(result.stdout)
    assert checks["database"][0] == "FAIL" and "no database at" in checks["database"][1]
    assert checks["keys"][0] == "-"
    assert checks["broker"][0] == "FAIL" and "PANTAU_BROKER_URL" in checks["broker"][1]
    assert checks["kobo"][0] == "FAIL" and "PANTAU_KOBO_TOKEN" in checks["kobo"][1]
    assert checks["central"][0] == "FAIL" and "PANTAU_CENTRAL_PASSWORD" in checks["central"][1]
    assert checks["forms"][0] == "FAIL" and "PANTAU_FORMS_DIR" in checks["forms"][1]
    assert checks["rules"][0] == "FAIL" and "PANTAU_RULES_DIR" in checks["rules"][1]
    assert not (tmp_path / "typo").exists()  # the mistyped database was not created


def test_doctor__unreachable_servers_and_a_loopback_public_url_for_a_remote_kobo(
    admin: Admin, servers
):
    kobo, central, web = servers
    env = _env(
        admin,
        kobo,
        central,
        web,
        PANTAU_CENTRAL_URL="http://127.0.0.1:9",
        PANTAU_CENTRAL_PROJECT="1",
        PANTAU_PUBLIC_URL="http://127.0.0.1:5000",
        PANTAU_KOBO_URL="https://kobo.invalid",
    )
    result = admin.run(["doctor"], env)
    assert result.exit_code == 1
    checks = _lines(result.stdout)
    assert checks["central"][0] == "FAIL" and "PANTAU_CENTRAL_URL" in checks["central"][1]
    assert checks["kobo"][0] == "FAIL" and "PANTAU_KOBO_URL" in checks["kobo"][1]
    assert checks["public url"][0] == "FAIL" and "this machine only" in checks["public url"][1]


def test_doctor__an_unknown_central_project_names_the_setting(admin: Admin, servers):
    kobo, central, web = servers
    result = admin.run(["doctor"], _env(admin, kobo, central, web, PANTAU_CENTRAL_PROJECT="99"))
    assert result.exit_code == 1
    assert "PANTAU_CENTRAL_PROJECT" in _lines(result.stdout)["central"][1]
