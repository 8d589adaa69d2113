"""`forms publish` as an admin uses it: several forms, --all, --dry-run, and settings to fix."""

from __future__ import annotations

import shutil
import time

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from cli.main import main
from core.store.models import AuditLog, FormVersion, Publication
from tests.conftest import free_port, make_settings, pantau_env
from tests.integration.publish.conftest import FORMS_DIR, PUBLIC_URL


@pytest.fixture
def admin_settings(sqlite_settings, kobo_sandbox, forms_dir, tmp_path):
    """SQLite settings on the sandbox with a private forms copy (the backend is moot here)."""
    return make_settings(
        tmp_path,
        database_url=sqlite_settings.database_url,
        kobo_url=kobo_sandbox.base_url,
        kobo_token=kobo_sandbox.token,
        public_url=PUBLIC_URL,
        forms_dir=forms_dir,
    )


def _run(settings, *args: str, **env: str):
    return CliRunner().invoke(
        main, list(args), env=pantau_env(settings, PANTAU_LOG_LEVEL="WARNING", **env)
    )


def _counts(settings) -> tuple[int, int, int]:
    from core.store.db import make_engine, make_session_factory

    engine = make_engine(settings)
    try:
        with make_session_factory(engine)() as s:
            return tuple(
                s.scalar(select(func.count()).select_from(m))
                for m in (FormVersion, Publication, AuditLog)
            )
    finally:
        engine.dispose()


def test_publish_dry_run__says_what_would_change_and_sends_or_records_nothing(
    admin_settings, kobo_sandbox
):
    before = _counts(admin_settings)
    dry = _run(admin_settings, "forms", "publish", "profil_imp", "--to", "kobo", "--dry-run")
    assert dry.exit_code == 0, dry.output
    lines = dry.stdout.splitlines()
    assert lines[0] == "profil_imp -> kobo (dry run: nothing sent or recorded)"
    assert any(line.startswith("form") and "a new asset" in line for line in lines)
    assert any(line.startswith("hook") and "created" in line for line in lines)
    assert _counts(admin_settings) == before
    assert kobo_sandbox.api("GET", "/api/v2/assets/").json()["count"] == 0
    assert not list(admin_settings.build_dir.glob("*.xml"))  # built in a temporary folder

    real = _run(admin_settings, "forms", "publish", "profil_imp", "--to", "kobo")
    assert real.exit_code == 0, real.output
    again = _run(admin_settings, "forms", "publish", "profil_imp", "--to", "kobo", "--dry-run")
    assert again.exit_code == 0, again.output
    text = again.stdout
    assert "unchanged: asset" in text and "hook" in text and "unchanged (" in text


def test_publish__several_forms_or_all_in_one_command(admin_settings, forms_dir):
    two = _run(admin_settings, "forms", "publish", "profil_imp", "kie_konseling", "--to", "kobo")
    assert two.exit_code == 0, two.output
    published = [line for line in two.stdout.splitlines() if " published on kobo" in line]
    assert [line.split()[0] for line in published] == ["profil_imp", "kie_konseling"]

    for path in forms_dir.glob("*.xlsx"):
        if path.stem not in ("profil_imp", "kie_konseling"):
            path.unlink()
    every = _run(admin_settings, "forms", "publish", "--all", "--to", "kobo")
    assert every.exit_code == 0, every.output
    assert every.stdout.count(" unchanged on kobo") == 2


def test_publish__a_bad_token_names_the_setting(admin_settings):
    result = _run(
        admin_settings, "forms", "publish", "profil_imp", "--to", "kobo", PANTAU_KOBO_TOKEN="bad"
    )
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith("locate: ") and "401" in line and "PANTAU_KOBO_TOKEN" in line


def test_publish__a_refused_connection_names_the_url_setting_at_once(admin_settings):
    url = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    result = _run(
        admin_settings, "forms", "publish", "profil_imp", "--to", "kobo", PANTAU_KOBO_URL=url
    )
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert f"cannot connect to {url}: connection refused (check PANTAU_KOBO_URL)" in line
    assert "Max retries" not in line
    assert time.monotonic() - started < 10  # no 15 s of backoff before saying so


def test_pull__a_refused_connection_is_one_line_and_no_pulled_0(admin_settings, kobo_sandbox):
    assert _run(admin_settings, "forms", "publish", "profil_imp", "--to", "kobo").exit_code == 0
    url = f"http://127.0.0.1:{free_port()}"
    result = _run(admin_settings, "pull", PANTAU_KOBO_URL=url)
    assert result.exit_code == 1
    assert "pulled 0" not in result.output
    (line,) = result.stderr.splitlines()
    assert line.startswith("profil_imp [") and "PANTAU_KOBO_URL" in line


def test_pull__names_forms_by_our_id_and_prints_json(admin_settings, kobo_sandbox):
    assert _run(admin_settings, "forms", "publish", "profil_imp", "--to", "kobo").exit_code == 0
    text = _run(admin_settings, "pull")
    assert text.exit_code == 0, text.output
    first = text.stdout.splitlines()[0]
    assert first.startswith("profil_imp [") and "]: fetched 0, new 0" in first
    import json

    rows = json.loads(_run(admin_settings, "pull", "--json").stdout)
    assert rows[0]["form_id"] == "profil_imp" and rows[0]["status"] == "ok"
    assert rows[0]["server_form_id"] and rows[0]["new"] == 0
    sweep = json.loads(_run(admin_settings, "sweep", "--json").stdout)
    assert sweep[0]["form_id"] == "profil_imp" and sweep[0]["checked"] == 0


def test_forms_lint__an_unreadable_workbook_is_named_and_the_others_still_checked(tmp_path):
    forms = tmp_path / "forms"
    shutil.copytree(FORMS_DIR, forms)
    (forms / "broken.xlsx").write_text("not a workbook")
    env = pantau_env(make_settings(tmp_path, forms_dir=forms))
    result = CliRunner().invoke(main, ["forms", "lint"], env=env)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stdout.count(": ok") == 5
    assert "broken.xlsx workbook: not a readable .xlsx file" in result.stderr
