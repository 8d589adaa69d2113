"""A record Kobo deleted stays deleted, whatever version of it reaches us afterwards."""

import json

from click.testing import CliRunner
from sqlalchemy import select

from cli.main import main
from core.store.models import Fact, Submission
from tests.conftest import make_settings, pantau_env
from tests.integration.intake.conftest import submit_and_read
from tests.support.submissions import meeting_answers


def _cli(settings, *args):
    result = CliRunner().invoke(main, list(args), env=pantau_env(settings))
    assert result.exit_code == 0, result.output
    return result.output


def test_replay__an_edit_of_a_record_deleted_on_kobo_is_stored_but_not_current(
    settings, kobo_sandbox, meeting_form, session_factory, tmp_path
):
    s = make_settings(
        settings.var_dir.parent,
        database_url=settings.database_url,
        kobo_url=kobo_sandbox.base_url,
        kobo_token=kobo_sandbox.token,
    )
    v1 = submit_and_read(kobo_sandbox, meeting_form, meeting_answers(women=1))
    assert "new 1" in _cli(s, "pull", "pertemuan_imp")
    # Edited on Kobo (no hook fires, and we never pull it), saved to a file, then deleted.
    xml, _ = meeting_form.instance(meeting_answers(women=2), deprecated_id=v1["meta/instanceID"])
    assert kobo_sandbox.submit(xml).status_code == 201
    data = f"/api/v2/assets/{meeting_form.asset_uid}/data/{v1['_id']}/"
    v2 = kobo_sandbox.api("GET", data).json()
    assert v2["meta/deprecatedID"] == v1["meta/instanceID"]
    assert kobo_sandbox.api("DELETE", data).status_code == 204
    assert "deleted 1" in _cli(s, "sweep", "pertemuan_imp")
    saved = tmp_path / "v2.json"
    saved.write_text(json.dumps(v2))

    out = _cli(s, "intake", "replay", str(saved))

    assert "1 new" in out  # nothing is lost: the version is kept
    with session_factory() as sess:
        rows = {r.instance_id: r for r in sess.scalars(select(Submission))}
        assert set(rows) == {v1["_uuid"], v2["_uuid"]}
        assert [(r.status, r.is_latest) for r in rows.values()] == [("deleted", False)] * 2
        assert sess.scalars(select(Fact)).all() == []  # not scored again
    again = _cli(s, "intake", "replay", str(saved))
    assert "1 duplicates" in again
