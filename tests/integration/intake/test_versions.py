"""The version chain of one record, whatever order its versions arrive in."""

import itertools
import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cli.main import main
from core.store.db import session_scope
from core.store.models import DeadLetter, PullCursor, Submission
from core.usecases.intake import ingest
from tests.conftest import make_settings, pantau_env
from tests.integration.intake.conftest import submit_and_read
from tests.support.submissions import meeting_answers


def _versions(sandbox, form, n):
    """The original and n-1 chained edits of one record, as Kobo's data API had each."""
    recs = [submit_and_read(sandbox, form, meeting_answers(women=1))]
    for i in range(2, n + 1):
        xml, _ = form.instance(meeting_answers(women=i), deprecated_id=recs[-1]["meta/instanceID"])
        assert sandbox.submit(xml).status_code == 201
        page = sandbox.api("GET", f"/api/v2/assets/{form.asset_uid}/data/{recs[0]['_id']}/").json()
        recs.append(page)
    return recs


@pytest.mark.parametrize("order", list(itertools.permutations(range(3))))
def test_versions__any_arrival_order_ends_with_the_last_edit_current(
    order, kobo_sandbox, meeting_form, session_factory
):
    recs = _versions(kobo_sandbox, meeting_form, 3)
    to_process = set()
    for i in order:
        with session_scope(session_factory) as s:
            result = ingest(s, recs[i], source="webhook", secret=b"k")
            if result.process_id:
                to_process.add(result.process_id)
    with session_factory() as s:
        rows = s.scalars(select(Submission)).all()
        latest = [r for r in rows if r.is_latest]
        assert len(rows) == 3 and len(latest) == 1
        assert latest[0].raw["pertemuan/hadir_perempuan"] == "3"
        assert latest[0].status == "received" and latest[0].id in to_process
        assert sorted(r.status for r in rows) == ["received", "superseded", "superseded"]


def test_versions__edits_without_their_original_then_the_original_late(
    kobo_sandbox, meeting_form, session_factory
):
    a, b, c = _versions(kobo_sandbox, meeting_form, 3)
    for rec in (b, c, a):  # the original comes last (a stalled delivery)
        with session_scope(session_factory) as s:
            ingest(s, rec, source="webhook", secret=b"k")
    with session_factory() as s:
        latest = s.scalars(select(Submission).where(Submission.is_latest.is_(True))).one()
        assert latest.instance_id == c["_uuid"] and latest.status == "received"


def test_processing__an_edit_linked_only_by_its_kobo_id_replaces_the_originals_facts(
    settings, kobo_sandbox, meeting_form, session_factory
):
    # An edit whose REST Service payload lacks meta/rootUuid (older Enketo, or subset_fields)
    # is the same record only by Kobo's `_id`: processing it must take back the facts of
    # the version it replaces, or the meeting counts twice.
    from core.store.models import Fact
    from core.usecases.processing import process_submission
    from core.wiring import rules_for

    rules = rules_for(settings)
    original = submit_and_read(kobo_sandbox, meeting_form, meeting_answers(women=1))
    edit = {
        **original,
        "meta/instanceID": "uuid:0f6a2c1e-5d1b-4b8e-9a51-8e2f1c7d4b10",
        "_uuid": "0f6a2c1e-5d1b-4b8e-9a51-8e2f1c7d4b10",
        "meta/deprecatedID": original["meta/instanceID"],
        "pertemuan/hadir_perempuan": "7",
    }
    edit.pop("meta/rootUuid", None)
    for rec in (original, edit):
        with session_scope(session_factory) as s:
            result = ingest(s, rec, source="webhook", secret=b"k")
            assert result.process_id is not None
            process_submission(s, result.process_id, rules)
    with session_factory() as s:
        (fact,) = s.scalars(select(Fact)).all()
        current = s.scalars(select(Submission).where(Submission.is_latest.is_(True))).one()
    assert fact.submission_id == current.id and current.raw["_uuid"] == edit["_uuid"]


def test_pull__a_record_the_database_cannot_hold_is_dead_lettered_and_the_rest_stored(
    settings, kobo_sandbox, meeting_form, session_factory
):
    good = {**meeting_answers(), "__version__": meeting_form.version_uid}
    bad = {**good, "pertemuan/topik": "rapat\u0000 rutin", "keluarga/no_kk": "3277010101200012"}
    kobo_sandbox.seed(meeting_form.asset_uid, records=[good, bad, good])
    s = make_settings(
        settings.var_dir.parent,
        database_url=settings.database_url,
        kobo_url=kobo_sandbox.base_url,
        kobo_token=kobo_sandbox.token,
    )
    result = CliRunner().invoke(main, ["pull"], env=pantau_env(s))
    assert result.exit_code == 0, result.output
    assert "new 2" in result.output and "refused 1" in result.output
    with session_factory() as sess:
        assert sess.scalars(select(PullCursor)).one().last_record_id == 3
        letter = sess.scalars(select(DeadLetter)).one()
        assert "NUL" in letter.reason
        assert b"3277010101200012" not in letter.body  # pseudonymised before it was kept
        assert json.loads(letter.body)["keluarga/no_kk"].startswith("kel_")


def test_processing__an_unexpected_error_fails_one_submission_not_the_batch(
    settings, kobo_sandbox, session_factory
):
    from tests.support.submissions import publish_in_sandbox

    with session_factory() as sess:
        report = publish_in_sandbox(kobo_sandbox, sess, "laporan_bulanan_imp")
    base = {
        "wilayah/kecamatan": "32.77.01",
        "wilayah/desa": "32.77.01.1001",
        "wilayah/imp": "PPKBD-32.77.01.1001",
        "__version__": report.version_uid,
    }
    counts = {
        "jumlah_kelompok": "3",
        "jumlah_anggota": "40",
        "peserta_kb_aktif": "31",
        "jumlah_pelayanan_ulang": "12",
        "jumlah_rujukan": "2",
        "pertemuan_poktan": "3",
    }
    paths = {}
    xform = report.xform
    for name in [*counts, "periode"]:
        idx = xform.index(f'/{name}"') if f'/{name}"' in xform else -1
        assert idx > 0, name
        start = xform.rfind('nodeset="', 0, idx) + len('nodeset="')
        paths[name] = xform[start : idx + len(name) + 1].split("/", 2)[2]
    good = {**base, **{paths[k]: v for k, v in counts.items()}, paths["periode"]: "2026-10"}
    year_zero = {**good, paths["periode"]: "0000-05"}  # passes the pattern, not the calendar
    kobo_sandbox.seed(report.asset_uid, records=[good, year_zero, good])
    s = make_settings(
        settings.var_dir.parent,
        database_url=settings.database_url,
        kobo_url=kobo_sandbox.base_url,
        kobo_token=kobo_sandbox.token,
    )
    assert CliRunner().invoke(main, ["pull"], env=pantau_env(s)).exit_code == 0
    with session_factory() as sess:
        statuses = sorted(r.status for r in sess.scalars(select(Submission)))
    assert statuses == ["failed", "processed", "processed"]
