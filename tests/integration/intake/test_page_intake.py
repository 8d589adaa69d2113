"""A pulled page stored together (receive_page) answers and stores as receive() would."""

import pytest
from sqlalchemy import select

from core.store.db import session_scope
from core.store.models import DeadLetter, Submission
from core.usecases.intake import receive
from core.usecases.page_intake import receive_page, screen_page
from tests.integration.intake.conftest import submit_and_read
from tests.support.submissions import meeting_answers

SECRET = b"page-intake-key"


def _edit(sandbox, form, original, women):
    """An edit of `original` as Kobo's data API has it after the edit."""
    xml, _ = form.instance(meeting_answers(women=women), deprecated_id=original["meta/instanceID"])
    assert sandbox.submit(xml).status_code == 201
    path = f"/api/v2/assets/{form.asset_uid}/data/{original['_id']}/"
    return sandbox.api("GET", path).json()


def _rows(session_factory):
    with session_factory() as s:
        return {r.instance_id: r for r in s.scalars(select(Submission))}


def test_receive_page__a_mixed_page_is_answered_record_by_record(
    kobo_sandbox, meeting_form, session_factory
):
    fresh = submit_and_read(kobo_sandbox, meeting_form, meeting_answers(women=1))
    stored = submit_and_read(kobo_sandbox, meeting_form, meeting_answers(women=2))
    old = submit_and_read(kobo_sandbox, meeting_form, meeting_answers(women=3))
    edited = _edit(kobo_sandbox, meeting_form, old, women=4)
    late = submit_and_read(kobo_sandbox, meeting_form, meeting_answers(women=5))
    newer = _edit(kobo_sandbox, meeting_form, late, women=6)
    twice = submit_and_read(kobo_sandbox, meeting_form, meeting_answers(women=7))
    twice_edit = _edit(kobo_sandbox, meeting_form, twice, women=8)
    unknown = {**fresh, "_xform_id_string": "aNeverPublished", "meta/instanceID": "uuid:x-1"}
    nul = {**fresh, "meta/instanceID": "uuid:x-2", "pertemuan/topik": "rapat\u0000"}
    with session_scope(session_factory) as s:  # what came earlier by the webhook
        for rec in (stored, old, newer):
            assert receive(s, rec, source="webhook", secret=SECRET).outcome == "created"

    page = [fresh, stored, edited, late, twice, twice_edit, "not a record", unknown, nul]
    with session_scope(session_factory) as s:
        answers = receive_page(s, page, source="pull", secret=SECRET)

    assert [a.outcome for a in answers] == [
        *["created", "duplicate", "created", "created", "created", "created"],
        *["rejected", "rejected", "rejected"],
    ]
    rows = _rows(session_factory)
    assert len(rows) == 8
    # A new record: stored as its own current version, to be processed.
    new = rows[fresh["_uuid"]]
    assert (new.source, new.is_latest, new.status) == ("pull", True, "received")
    assert answers[0].process_id == answers[0].submission_id == new.id
    # A duplicate: the stored row, nothing to process.
    assert answers[1].submission_id == rows[stored["_uuid"]].id and answers[1].process_id is None
    # An edit of a record the webhook stored: the edit is current, the original superseded.
    assert rows[edited["_uuid"]].is_latest and rows[old["_uuid"]].status == "superseded"
    # An original arriving after its edit: stored, superseded; the edit stays current.
    assert rows[late["_uuid"]].status == "superseded" and not rows[late["_uuid"]].is_latest
    assert rows[newer["_uuid"]].is_latest and answers[3].process_id == rows[newer["_uuid"]].id
    # Two versions of one record in the page: one chain, the edit current.
    assert rows[twice_edit["_uuid"]].is_latest and not rows[twice["_uuid"]].is_latest
    with session_factory() as s:
        reasons = sorted(d.reason for d in s.scalars(select(DeadLetter)))
    assert len(reasons) == 3
    assert any("not a JSON object" in r for r in reasons)
    assert any("unknown form" in r for r in reasons)
    assert any("NUL" in r for r in reasons)


@pytest.mark.parametrize(
    ("extra", "screened"),
    [
        # A KK in free text: the careful path (check_storable, pseudonymise) replaces it.
        ({"pertemuan/catatan": "KK 3277010101200012"}, False),
        # An identifying answer, text beyond ASCII and a line break: the screened fast path.
        ({"grp/nik": "3277010101200012", "pertemuan/catatan": 'Kader ✓\nRW 03 — "ya"'}, True),
    ],
    ids=["careful", "screened"],
)
def test_receive_page__pseudonymises_and_stores_what_receive_would(
    kobo_sandbox, meeting_form, session_factory, extra, screened
):
    answers = meeting_answers()
    a = {**submit_and_read(kobo_sandbox, meeting_form, answers), **extra}
    assert (screen_page([a], SECRET)[0] is not None) is screened
    b = {**a, "meta/instanceID": "uuid:b-1", "_uuid": "b-1", "_id": a["_id"] + 1}
    with session_scope(session_factory) as s:
        by_page = receive_page(s, [a], source="pull", secret=SECRET)[0]
        one = receive(s, b, source="pull", secret=SECRET)
    rows = _rows(session_factory)
    paged, single = rows[a["_uuid"]], rows["b-1"]
    assert by_page.outcome == one.outcome == "created"
    assert "3277010101200012" not in str(paged.raw)
    columns = ("form_id", "form_version_id", "server_version", "version_known", "submitted_at")
    assert [getattr(paged, c) for c in columns] == [getattr(single, c) for c in columns]
    assert {k: v for k, v in paged.raw.items() if k not in ("_id", "_uuid", "meta/instanceID")} == {
        k: v for k, v in single.raw.items() if k not in ("_id", "_uuid", "meta/instanceID")
    }


def test_receive_page__one_instance_id_twice_in_a_page_is_stored_once(
    kobo_sandbox, meeting_form, session_factory
):
    # Malformed upstream (two roots for one instance id): answered as receive() would.
    a = submit_and_read(kobo_sandbox, meeting_form, meeting_answers(women=1))
    b = {**a, "meta/rootUuid": "uuid:another-root", "_id": a["_id"] + 1}
    with session_scope(session_factory) as s:
        answers = receive_page(s, [a, b], source="pull", secret=SECRET)
    assert [x.outcome for x in answers] == ["created", "duplicate"]
    assert len(_rows(session_factory)) == 1
