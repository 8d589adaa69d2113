"""A family lives where its most recent survey was made, whichever survey was processed last.

A family surveyed in Melong and then, a month later, in Baros has moved. An edit of the
Melong survey (a Kobo edit: a new version of it), or a Melong survey from a phone that was
offline and uploads late, is processed after the Baros one; neither may move the family back
to Melong: Baros's TPPS would lose sight of it, and Melong's would see a family that is no
longer theirs. Both paths that place a family are checked: processing (the worker's
`process_submissions`) and the district re-score (`pantau score families`).
"""

from __future__ import annotations

import json
from datetime import date

from click.testing import CliRunner
from sqlalchemy import select

from cli.main import main
from core.store.models import Family
from tests.conftest import pantau_env
from tests.integration.intake.conftest import AUTH, submit_and_read
from tests.support.submissions import family_answers
from workers.celery_app import make_celery

NO_KK = "3277010101200031"
MELONG, BAROS = "32.77.01.1001", "32.77.02.1001"


def _survey(desa: str, day: date) -> dict:
    answers = family_answers(NO_KK, survey=day, haz_child_cm=78.0)
    answers["wilayah/desa"] = desa
    answers["wilayah/kecamatan"] = desa.rsplit(".", 1)[0]
    return answers


def _deliver(client, sandbox, form, answers, **kw) -> tuple[int, str]:
    """(stored submission id, instance id) of one survey submitted and delivered by its hook."""
    record = submit_and_read(sandbox, form, answers, **kw)
    resp = client.post("/webhooks/kobo", json=record, headers=AUTH)
    assert resp.status_code == 202, resp.data
    return resp.get_json()["submission"], record["meta/instanceID"]


def _places(session_factory) -> list[str]:
    with session_factory() as s:
        return [f.desa_code for f in s.scalars(select(Family))]


def _rescored(settings, wilayah: str | None) -> list[dict]:
    """`pantau score families` (of the surveys made in wilayah, when given)."""
    args = ["score", "families", "--json"] + (["--wilayah", wilayah] if wilayah else [])
    result = CliRunner().invoke(main, args, env=pantau_env(settings))
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_a_family_stays_where_its_latest_survey_was_made(
    settings, client, kobo_sandbox, family_form, session_factory
):
    process = make_celery(settings).tasks["pantau.process_submissions"]
    melong, melong_instance = _deliver(
        client, kobo_sandbox, family_form, _survey(MELONG, date(2026, 10, 1))
    )
    baros, _ = _deliver(client, kobo_sandbox, family_form, _survey(BAROS, date(2026, 11, 10)))
    process.apply(args=[[melong, baros]]).get()
    assert _places(session_factory) == [BAROS]

    # The Melong survey edited on the server, and an older one uploaded late: processed last.
    edit, _ = _deliver(
        client,
        kobo_sandbox,
        family_form,
        _survey(MELONG, date(2026, 10, 1)),
        deprecated_id=melong_instance,
    )
    late, _ = _deliver(client, kobo_sandbox, family_form, _survey(MELONG, date(2026, 9, 15)))
    process.apply(args=[[edit, late]]).get()
    assert _places(session_factory) == [BAROS]

    # A re-score places every family it scores again, its surveys in the order they were
    # stored: the whole district's, and Melong's alone (which holds none of the Baros survey).
    for wilayah in (None, MELONG):
        (family,) = _rescored(settings, wilayah)
        assert family["family"].startswith("kel_")
        assert _places(session_factory) == [BAROS], wilayah
