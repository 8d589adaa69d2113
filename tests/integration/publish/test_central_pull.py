"""ODK Central: published by Pantau, pulled incrementally by updatedAt, edits included."""

from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cli.main import main
from core.clients.central import CentralClient, default_retry
from core.store.models import Fact, PullCursor, Submission
from core.usecases.publish import publish_to_central
from sandbox.kobo.instance import build_instance_xml
from tests.conftest import pantau_env
from tests.integration.publish.conftest import run, settings_at_central
from tests.support.central_stub import serve_central_stub
from tests.support.submissions import meeting_answers

LOKASI = "-6.8841 107.5413 712 5"  # ODK's text: latitude longitude altitude accuracy


def _pull(settings, *extra: str):
    result = CliRunner().invoke(
        main,
        ["pull", "--server", "central", *extra],
        env={
            **pantau_env(settings),
            "PANTAU_CENTRAL_URL": settings.central_url,
            "PANTAU_CENTRAL_EMAIL": settings.central_email,
            "PANTAU_CENTRAL_PASSWORD": settings.central_password.get_secret_value(),
            "PANTAU_CENTRAL_PROJECT": str(settings.central_project),
        },
    )
    assert result.exit_code == 0, result.output
    return result.output


def test_central_pull__new_then_edited_submission_ends_as_one_current_record(
    central, central_settings, session_factory
):
    published = run(session_factory, publish_to_central, central, "pertemuan_imp", central_settings)
    xform = (central_settings.build_dir / "pertemuan_imp.xml").read_text()
    first_xml, first_id = build_instance_xml(xform, meeting_answers(women=4))
    central.submissions.create("pertemuan_imp", first_xml)
    other_xml, _ = build_instance_xml(xform, meeting_answers(women=11))
    central.submissions.create("pertemuan_imp", other_xml)

    assert "new 2" in _pull(central_settings)
    with session_factory() as s:
        rows = s.scalars(select(Submission)).all()
        assert {r.server for r in rows} == {"central"}
        assert all(r.form_id == "pertemuan_imp" and r.version_known for r in rows)
        assert all(r.form_version_id is not None for r in rows)
        assert {r.status for r in rows} == {"processed"}
    assert "new 0" in _pull(central_settings)  # the boundary row is not stored twice

    edited_xml, edited_id = build_instance_xml(
        xform, meeting_answers(women=40), deprecated_id=first_id
    )
    central.submissions.edit("pertemuan_imp", first_id, edited_xml)
    assert "new 1" in _pull(central_settings)  # Central's updatedAt shows the edit
    with session_factory() as s:
        latest = s.scalars(select(Submission).where(Submission.is_latest.is_(True))).all()
        assert len(latest) == 2
        by_instance = {r.instance_id: r for r in s.scalars(select(Submission))}
        assert by_instance[edited_id.removeprefix("uuid:")].is_latest
        assert by_instance[first_id.removeprefix("uuid:")].status == "superseded"
        facts = s.scalars(select(Fact)).all()
        assert sorted(f.values["hadir_perempuan"] for f in facts) == [11, 40]
    assert published.version


def _facts_by_root(session_factory):
    with session_factory() as s:
        rows = s.scalars(select(Submission)).all()
        facts = s.scalars(select(Fact)).all()
        by_sub = {f.submission_id for f in facts}
        return {r.root_id: (r.status, r.is_latest, r.id in by_sub) for r in rows}


def test_central_pull__deleted_in_central_is_withdrawn_and_restored_comes_back(
    central, central_settings, session_factory
):
    run(session_factory, publish_to_central, central, "pertemuan_imp", central_settings)
    xform = (central_settings.build_dir / "pertemuan_imp.xml").read_text()
    made = []
    for women in (4, 11):
        xml, instance_id = build_instance_xml(xform, meeting_answers(women=women))
        central.submissions.create("pertemuan_imp", xml)
        made.append(instance_id)
    assert "new 2" in _pull(central_settings)
    gone, kept = (i.removeprefix("uuid:") for i in made)

    # Deleted in Central: its updatedAt does not move, yet the pull finds it in the trash.
    central.submissions.delete("pertemuan_imp", made[0])
    out = _pull(central_settings)
    assert "deleted 1, restored 0" in out
    assert _facts_by_root(session_factory) == {
        gone: ("deleted", False, False),
        kept: ("processed", True, True),
    }
    assert "deleted 0, restored 0" in _pull(central_settings)  # applied once

    # Restored from the trash (again without an updatedAt): current and scored again.
    central.submissions.restore("pertemuan_imp", made[0])
    assert "deleted 0, restored 1" in _pull(central_settings)
    assert _facts_by_root(session_factory) == {
        gone: ("processed", True, True),
        kept: ("processed", True, True),
    }
    with session_factory() as s:
        facts = s.scalars(select(Fact)).all()
        assert sorted(f.values["hadir_perempuan"] for f in facts) == [4, 11]
    assert "deleted 0, restored 0" in _pull(central_settings)


def test_central_pull__an_edited_then_deleted_submission_withdraws_every_version(
    central, central_settings, session_factory
):
    run(session_factory, publish_to_central, central, "pertemuan_imp", central_settings)
    xform = (central_settings.build_dir / "pertemuan_imp.xml").read_text()
    xml, first_id = build_instance_xml(xform, meeting_answers(women=4))
    central.submissions.create("pertemuan_imp", xml)
    _pull(central_settings)
    edited, _ = build_instance_xml(xform, meeting_answers(women=40), deprecated_id=first_id)
    central.submissions.edit("pertemuan_imp", first_id, edited)
    _pull(central_settings)

    central.submissions.delete("pertemuan_imp", first_id)
    assert "deleted 1" in _pull(central_settings)
    with session_factory() as s:
        assert {r.status for r in s.scalars(select(Submission))} == {"deleted"}
        assert s.scalars(select(Fact)).all() == []


def test_central_pull__since_a_date_reads_again_from_then_and_names_the_form(
    central, central_settings, session_factory
):
    run(session_factory, publish_to_central, central, "pertemuan_imp", central_settings)
    xform = (central_settings.build_dir / "pertemuan_imp.xml").read_text()
    xml, _ = build_instance_xml(xform, meeting_answers(women=4))
    central.submissions.create("pertemuan_imp", xml)
    first = _pull(central_settings, "--since", "2999-01-01")
    assert first.startswith("pertemuan_imp [pertemuan_imp]: fetched 0, new 0")
    with session_factory() as s:
        assert s.scalars(select(PullCursor)).one().last_updated_at is None
    assert "new 1" in _pull(central_settings, "--since", "2020-01-01")
    assert "fetched 1, new 0, duplicates 1" in _pull(central_settings, "--since", "2020-01-01")
    # A --since in the future did not move the cursor there: a plain pull still sees new work.
    other, _ = build_instance_xml(xform, meeting_answers(women=7))
    central.submissions.create("pertemuan_imp", other)
    assert "new 1" in _pull(central_settings)


# One database: the paging is the server's and the client's (1,001 submissions cost ~10 s).
@pytest.mark.parametrize("backend", ["postgresql"])
def test_central_pull__more_than_a_page_of_changes_is_read_whole_then_nothing_again(
    central, central_settings, session_factory
):
    # Over 1,000 changes (a backlog, a district's first pull) take two pages. Real Central
    # refuses the next link of a feed that asked for an order (501.1): the pull asks for none.
    run(session_factory, publish_to_central, central, "pertemuan_imp", central_settings)
    xform = (central_settings.build_dir / "pertemuan_imp.xml").read_text()
    xml, instance_id = build_instance_xml(xform, meeting_answers(women=4))
    for n in range(1001):
        copy = xml.replace(instance_id.encode(), f"uuid:page-{n:04}".encode())
        central.submissions.create("pertemuan_imp", copy)

    assert "fetched 1001, new 1001" in _pull(central_settings)
    assert "fetched 0, new 0" in _pull(central_settings)
    with session_factory() as s:
        instances = s.scalars(select(Submission.instance_id)).all()
        assert len(instances) == len(set(instances)) == 1001


@pytest.mark.parametrize("backend", ["sqlite"])
def test_central_pull__since_after_the_stored_mark_leaves_what_lies_between_for_the_next(
    settings, forms_dir, tmp_path, session_factory
):
    # `--since` later than where the pulls had got to reads from there on; the changes in
    # between were read by neither, so the stored mark must stay where it was.
    now = [datetime(2026, 8, 21, 3, 0, tzinfo=UTC)]  # Central's clock, which we move on
    with serve_central_stub(clock=lambda: now[0]) as stub:
        at_stub = settings_at_central(settings, stub, forms_dir, tmp_path)
        with CentralClient.from_settings(at_stub, retries=default_retry(0)) as central:
            run(session_factory, publish_to_central, central, "pertemuan_imp", at_stub)
            xform = (at_stub.build_dir / "pertemuan_imp.xml").read_text()
            for women in (4, 5, 6):  # one at 03:00, one at 04:00, one at 05:00
                xml, _ = build_instance_xml(xform, meeting_answers(women=women))
                central.submissions.create("pertemuan_imp", xml)
                if women == 4:
                    assert "new 1" in _pull(at_stub)
                now[0] += timedelta(hours=1)
        assert "fetched 1, new 1" in _pull(at_stub, "--since", "2026-08-21T04:30")
        # 04:00's, found; 05:00's read again (the mark is older) and recognised as stored.
        assert "fetched 2, new 1, duplicates 1" in _pull(at_stub)
        with session_factory() as s:
            assert len(s.scalars(select(Submission)).all()) == 3


# ODK Central answers geopoints as GeoJSON; they must reach us as ODK's text, like Kobo's.
def test_central_pull__a_geopoint_is_stored_as_odk_text_and_read_as_a_fact(
    central, central_settings, session_factory
):
    run(session_factory, publish_to_central, central, "pertemuan_imp", central_settings)
    xform = (central_settings.build_dir / "pertemuan_imp.xml").read_text()
    xml, _ = build_instance_xml(xform, {**meeting_answers(), "pertemuan/lokasi": LOKASI})
    central.submissions.create("pertemuan_imp", xml)

    assert "new 1" in _pull(central_settings)
    with session_factory() as s:
        stored = s.scalars(select(Submission)).one()
        fact = s.scalars(select(Fact)).one()
    assert stored.raw["pertemuan/lokasi"] == LOKASI
    assert not any(k.startswith("pertemuan/lokasi/") for k in stored.raw)
    assert fact.values["lokasi"] == [-6.8841, 107.5413, 712.0, 5.0]
