"""Pseudonym keys: intake checks them, `pantau keys rotate` re-keys without splitting history."""

from __future__ import annotations

import json
from datetime import date

from click.testing import CliRunner
from sqlalchemy import func, select

from cli.main import main
from core.store.models import Family, Submission
from service.app import create_app
from tests.conftest import TEST_KEYS, make_settings, pantau_env
from tests.integration.intake.conftest import AUTH, submit_and_read
from tests.support.submissions import family_answers

NO_KK = "3277010101900011"
NEW_KEY = "rotated-pseudonym-key-Zx8Cv4Bn6Mq2Wl9Ek3"


def _cli(settings, *args, **env):
    return CliRunner().invoke(main, list(args), env=pantau_env(settings, **env))


def _deliver(app, sandbox, form, survey):
    record = submit_and_read(sandbox, form, family_answers(NO_KK, survey=survey))
    return app.test_client().post("/webhooks/kobo", json=record, headers=AUTH)


def test_keys_rotate__history_stays_one_family_and_old_processes_stop_storing(
    settings, app, kobo_sandbox, family_form, session_factory, tmp_path
):
    assert _deliver(app, kobo_sandbox, family_form, date(2026, 4, 20)).status_code == 202
    before = json.loads(_cli(settings, "score", "families", "--json").output)
    assert _cli(settings, "keys", "check").exit_code == 0

    result = _cli(settings, "keys", "rotate", PANTAU_NEW_PSEUDONYM_KEY=NEW_KEY)
    assert result.exit_code == 0, result.output
    assert "re-keyed" in result.output and NEW_KEY not in result.output

    # A process still on the old key refuses to store (503: Kobo retries) and says why.
    old = _deliver(app, kobo_sandbox, family_form, date(2026, 5, 20))
    assert old.status_code == 503
    assert _cli(settings, "keys", "check").exit_code == 1

    rotated = make_settings(
        tmp_path,
        database_url=settings.database_url,
        pseudonym_key=NEW_KEY,
        pseudonym_previous_keys=TEST_KEYS["pseudonym_key"],
    )
    assert _cli(rotated, "keys", "check").exit_code == 0
    new_app = create_app(rotated)
    try:
        assert _deliver(new_app, kobo_sandbox, family_form, date(2026, 10, 20)).status_code == 202
    finally:
        new_app.extensions["pantau.engine"].dispose()
    after = json.loads(_cli(rotated, "score", "families", "--json").output)
    assert len(after) == 1 and after[0]["family"] != before[0]["family"]
    assert len(after[0]["history"]) == 2  # the survey before the rotation and the one after
    with session_factory() as s:
        assert s.scalar(select(func.count()).select_from(Family)) == 1
        keys = {r.raw["keluarga/no_kk"] for r in s.scalars(select(Submission))}
        assert keys == {after[0]["family"]}


def test_keys_rotate__refuses_a_weak_or_reused_key_and_changes_nothing(settings, app):
    weak = _cli(settings, "keys", "rotate", PANTAU_NEW_PSEUDONYM_KEY="short")
    assert weak.exit_code == 2 and "PANTAU_NEW_PSEUDONYM_KEY" in weak.output
    reused = _cli(settings, "keys", "rotate", PANTAU_NEW_PSEUDONYM_KEY=TEST_KEYS["pseudonym_key"])
    assert reused.exit_code == 2 and "never used before" in reused.output
    assert _cli(settings, "keys", "check").exit_code == 0


def test_keys_rotate__with_the_wrong_current_key_re_keys_nothing(
    settings, app, kobo_sandbox, family_form, tmp_path
):
    assert _deliver(app, kobo_sandbox, family_form, date(2026, 4, 20)).status_code == 202
    wrong = make_settings(
        tmp_path, database_url=settings.database_url, pseudonym_key="x" + NEW_KEY[1:]
    )
    result = _cli(wrong, "keys", "rotate", PANTAU_NEW_PSEUDONYM_KEY=NEW_KEY)
    assert result.exit_code == 1 and "nothing re-keyed" in result.output
    assert _cli(settings, "keys", "check").exit_code == 0
