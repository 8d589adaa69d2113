import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cli.main import main
from core.store.models import Fact, PullCursor, Submission
from tests.conftest import make_settings, pantau_env
from tests.integration.intake.conftest import AUTH, submit_and_read
from tests.support.submissions import meeting_answers

IMP_A = "PPKBD-32.77.01.1001"


def _cli(settings, *args):
    result = CliRunner().invoke(main, list(args), env=pantau_env(settings))
    return result


def _with_kobo(settings, sandbox):
    return make_settings(
        settings.var_dir.parent,
        database_url=settings.database_url,
        kobo_url=sandbox.base_url,
        kobo_token=sandbox.token,
    )


def _submit_many(sandbox, form, n, start_day=1):
    from datetime import date

    ids = []
    for i in range(n):
        xml, iid = form.instance(meeting_answers(day=date(2026, 10, 1 + (start_day + i) % 27)))
        assert sandbox.submit(xml).status_code == 201
        ids.append(iid.removeprefix("uuid:"))
    return ids


def _seed_meetings(sandbox, form, count):
    """count meeting reports stored on the sandbox at once (no hooks fire)."""
    sandbox.seed(
        form.asset_uid,
        count=count,
        answers={**meeting_answers(), "__version__": form.version_uid},
    )


def _latest(session_factory):
    with session_factory() as s:
        return {
            r.record_id: r
            for r in s.scalars(select(Submission).where(Submission.is_latest.is_(True)))
        }


def test_pull__fetches_everything_the_webhook_missed_and_processes_it(
    settings, kobo_sandbox, meeting_form, session_factory
):
    _submit_many(kobo_sandbox, meeting_form, 25)  # no hook registered: nothing was delivered
    s = _with_kobo(settings, kobo_sandbox)
    result = _cli(s, "pull", "pertemuan_imp")
    assert result.exit_code == 0, result.output
    assert "new 25" in result.output
    latest = _latest(session_factory)
    assert len(latest) == 25
    assert all(
        r.status == "processed" and r.process_count == 1 and r.source == "pull"
        for r in latest.values()
    )
    with session_factory() as sess:
        cursor = sess.scalars(select(PullCursor)).one()
        assert cursor.last_record_id == max(latest)
    again = _cli(s, "pull", "pertemuan_imp")
    assert "new 0" in again.output  # incremental: nothing above the cursor


def test_pull__crash_after_a_page_resumes_from_the_committed_cursor(
    settings, kobo_sandbox, meeting_form, session_factory
):
    from core.clients.kobo import KoboClient
    from core.usecases.pull import pull_kobo

    # 2,500 records = pages of 1,000, 1,000 and 500.
    _seed_meetings(kobo_sandbox, meeting_form, 2500)

    class Crash(Exception):
        pass

    def crash_after_first_page(line):
        raise Crash(line)

    with KoboClient(kobo_sandbox.base_url, kobo_sandbox.token) as client:
        try:
            pull_kobo(
                session_factory,
                client,
                meeting_form.asset_uid,
                secret=settings.pseudonym_secret,
                progress=crash_after_first_page,
            )
        except Crash:
            pass
    with session_factory() as sess:
        assert sess.scalars(select(PullCursor)).one().last_record_id == 1000
    assert len(_latest(session_factory)) == 1000

    # The lease was released on the way out; a second pull finishes the job.
    s = _with_kobo(settings, kobo_sandbox)
    result = _cli(s, "pull")
    assert result.exit_code == 0, result.output
    assert "new 1500" in result.output
    with session_factory() as sess:
        assert sess.scalars(select(PullCursor)).one().last_record_id == 2500
    assert len(_latest(session_factory)) == 2500


def test_pull__a_permanent_server_error_stops_with_a_clear_message(
    settings, kobo_sandbox, meeting_form
):
    kobo_sandbox.faults("data:500:count=1")
    result = _cli(_with_kobo(settings, kobo_sandbox), "pull")
    assert result.exit_code != 0
    assert "500" in result.output and "Traceback" not in result.output


def test_sweep__applies_edits_only_the_sweep_can_see_and_marks_deletions(
    settings, client, kobo_sandbox, meeting_form, session_factory
):
    a = submit_and_read(kobo_sandbox, meeting_form, meeting_answers(women=5))
    b = submit_and_read(kobo_sandbox, meeting_form, meeting_answers(women=6))
    c = submit_and_read(kobo_sandbox, meeting_form, meeting_answers(women=7))
    for rec in (a, b, c):
        assert client.post("/webhooks/kobo", json=rec, headers=AUTH).status_code == 202
    s = _with_kobo(settings, kobo_sandbox)
    assert _cli(s, "score", "imp", "--json").exit_code == 0  # processes the backlog
    # Edit `a` on the server as a phone does (no hook fires), delete `c`.
    xml, new_iid = meeting_form.instance(
        meeting_answers(women=15), deprecated_id=a["meta/instanceID"]
    )
    assert kobo_sandbox.submit(xml).status_code == 201
    assert (
        kobo_sandbox.api(
            "DELETE", f"/api/v2/assets/{meeting_form.asset_uid}/data/{c['_id']}/"
        ).status_code
        == 204
    )

    result = _cli(s, "sweep", "pertemuan_imp")
    assert result.exit_code == 0, result.output
    assert "edits 1" in result.output and "deleted 1" in result.output

    with session_factory() as sess:
        rows = {r.instance_id: r for r in sess.scalars(select(Submission))}
        edited = rows[new_iid.removeprefix("uuid:")]
        assert edited.is_latest and edited.record_id == a["_id"] and edited.status == "processed"
        assert edited.deprecated_id == a["_uuid"]
        assert rows[a["_uuid"]].status == "superseded" and not rows[a["_uuid"]].is_latest
        assert rows[c["_uuid"]].status == "deleted"
        facts = {f.submission_id: f for f in sess.scalars(select(Fact))}
        assert set(facts) == {edited.id, rows[b["_uuid"]].id}  # downstream follows the latest
        assert facts[edited.id].values["hadir_perempuan"] == 15


def test_sweep__a_server_error_part_way_still_processes_what_it_fetched(
    settings, kobo_sandbox, meeting_form, session_factory
):
    _submit_many(kobo_sandbox, meeting_form, 3)  # on the server only: the sweep fetches them
    kobo_sandbox.faults("data:500:after=2:count=1")  # the manifest and one record, then 500
    result = _cli(_with_kobo(settings, kobo_sandbox), "sweep")
    assert result.exit_code == 1, result.output
    assert "sweep failed" in result.output
    latest = _latest(session_factory)
    assert len(latest) == 1
    assert [(r.status, r.process_count) for r in latest.values()] == [("processed", 1)]


def test_webhook_retry_carrying_the_edit_after_the_sweep_changes_nothing(
    settings, client, kobo_sandbox, meeting_form, session_factory
):
    original = submit_and_read(kobo_sandbox, meeting_form, meeting_answers(women=5))
    xml, _ = meeting_form.instance(
        meeting_answers(women=8), deprecated_id=original["meta/instanceID"]
    )
    assert kobo_sandbox.submit(xml).status_code == 201
    s = _with_kobo(settings, kobo_sandbox)
    assert _cli(s, "sweep").exit_code == 0  # sees the edit first
    # The original arrives late (a stalled webhook delivery): stored, but it must not win.
    assert client.post("/webhooks/kobo", json=original, headers=AUTH).status_code == 202
    latest = _latest(session_factory)
    assert len(latest) == 1
    assert latest[original["_id"]].raw["pertemuan/hadir_perempuan"] == "8"


def test_replay__feeds_exported_json_through_the_same_path(
    settings, kobo_sandbox, meeting_form, session_factory, tmp_path
):
    _submit_many(kobo_sandbox, meeting_form, 5)
    page = kobo_sandbox.api("GET", f"/api/v2/assets/{meeting_form.asset_uid}/data/").json()
    export = tmp_path / "export"
    export.mkdir()
    (export / "page1.json").write_text(json.dumps(page))
    (export / "broken.json").write_text(json.dumps([{"no": "instance id"}]))
    result = _cli(settings, "intake", "replay", str(export))
    assert result.exit_code == 0, result.output
    assert "5 new" in result.output and "1 refused" in result.output
    assert "0 duplicates" in result.output
    again = _cli(settings, "intake", "replay", str(export))
    assert "5 duplicates" in again.output
    assert all(r.status == "processed" for r in _latest(session_factory).values())

    letters = json.loads(_cli(settings, "intake", "dead-letters", "--json").output)
    assert len(letters) == 2 and all("instance id" in row["reason"] for row in letters)


def test_processing__unusable_answer_is_marked_failed_and_listed_not_retried(
    settings, client, kobo_sandbox, meeting_form, session_factory
):
    rec = submit_and_read(kobo_sandbox, meeting_form, meeting_answers())
    rec["pertemuan/hadir_perempuan"] = "sembilan"
    assert client.post("/webhooks/kobo", json=rec, headers=AUTH).status_code == 202
    assert _cli(settings, "score", "imp").exit_code == 0
    assert _cli(settings, "score", "imp").exit_code == 0  # a second run does not retry it
    problems = json.loads(_cli(settings, "intake", "problems", "--json").output)
    assert len(problems) == 1
    assert problems[0]["status"] == "failed" and "hadir_perempuan" in problems[0]["problem"]
    with session_factory() as sess:
        row = sess.scalars(select(Submission)).one()
        assert row.process_count == 1


def test_replay__a_file_with_a_4300_digit_id_is_refused_in_one_line(settings, tmp_path):
    export = tmp_path / "export.json"
    export.write_text('[{"_uuid": "5b7f5e0e", "_id": ' + "9" * 4301 + "}]")
    result = _cli(settings, "intake", "replay", str(export))
    assert result.exit_code == 2
    assert "4301 digits" in result.output and "Traceback" not in result.output
    for literal in ("Infinity", "NaN", "1e999"):
        export.write_text('[{"_uuid": "5b7f5e0e", "x": ' + literal + "}]")
        result = _cli(settings, "intake", "replay", str(export))
        assert result.exit_code == 2 and "a Kobo submission never does" in result.output


def test_pull__a_server_error_on_page_two_still_processes_page_one(
    settings, kobo_sandbox, meeting_form, session_factory
):
    _seed_meetings(kobo_sandbox, meeting_form, 1500)
    kobo_sandbox.faults("data:500:after=1:count=1")  # page 1 read, page 2 refused
    result = _cli(_with_kobo(settings, kobo_sandbox), "pull")
    assert result.exit_code == 1, result.output
    assert "pull failed" in result.output
    latest = _latest(session_factory)
    assert len(latest) == 1000
    # Stored and processed by this run: none is left for process_pending (no beat may run).
    assert all(r.status == "processed" and r.process_count == 1 for r in latest.values())
    with session_factory() as sess:
        assert sess.scalars(select(PullCursor)).one().last_record_id == 1000


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_pull__a_chunk_the_database_refuses_still_hands_over_the_other_chunk(
    settings, kobo_sandbox, meeting_form, session_factory
):
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from core.clients.kobo import KoboClient
    from core.usecases.pull import pull_kobo

    # One page of 1,000: two chunks of 500 stored side by side on PostgreSQL.
    _seed_meetings(kobo_sandbox, meeting_form, 1000)
    with session_factory() as sess:  # the database refuses record 700, in the second chunk
        sess.execute(
            text(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                "$$ BEGIN RAISE EXCEPTION 'refused'; END $$"
            )
        )
        sess.execute(
            text(
                "CREATE TRIGGER refuse BEFORE INSERT ON submissions FOR EACH ROW "
                "WHEN (NEW.record_id = 700) EXECUTE FUNCTION refuse()"
            )
        )
        sess.commit()
    handed: list[int] = []
    with (
        KoboClient(kobo_sandbox.base_url, kobo_sandbox.token) as client,
        pytest.raises(DBAPIError),
    ):
        pull_kobo(
            session_factory,
            client,
            meeting_form.asset_uid,
            secret=settings.pseudonym_secret,
            on_new=handed.extend,
        )
    latest = _latest(session_factory)
    assert sorted(latest) == list(range(1, 501))  # the first chunk was stored
    assert sorted(handed) == sorted(r.id for r in latest.values())  # and handed over
    with session_factory() as sess:  # the page comes back next time
        cursor = sess.scalars(select(PullCursor)).one_or_none()
        assert cursor is None or cursor.last_record_id == 0
