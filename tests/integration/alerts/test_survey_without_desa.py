"""A family survey without a real desa/kelurahan fails, named, instead of alerting no one.

The desa decides whose TPPS is alerted and who sees the family. A survey without one (or with
a name typed where the code belongs) is the sender's data to fix: it is kept, failed with the
reason, listed by `pantau intake problems`, and raises no alert.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from core.store.models import Alert, Submission
from tests.integration.alerts.conftest import cli
from tests.integration.alerts.helpers import family_surveys
from tests.support.submissions import family_answers


@pytest.mark.parametrize(
    ("desa", "says"),
    [
        (None, "desa=(missing): required answer missing"),
        ("Melong", "desa='Melong': not a desa/kelurahan"),
        ("32.77.01", "desa='32.77.01': not a desa/kelurahan"),  # a kecamatan
        ("3277011001", "desa='3277011001': write the code dotted"),  # matches no recipient
    ],
)
def test_a_family_survey_without_a_desa__fails_with_the_reason_and_alerts_no_one(
    alert_settings, recipients, kobo_sandbox, session_factory, desa, says
):
    answers = family_answers("3277010101200061")
    if desa is None:
        del answers["wilayah/desa"]
    else:
        answers["wilayah/desa"] = desa
    with family_surveys(alert_settings, kobo_sandbox, session_factory) as submit:
        (stored,) = submit(answers)

    with session_factory() as s:
        assert s.get(Submission, stored).status == "failed"
        assert s.scalars(select(Alert)).all() == []
    problems = json.loads(cli(alert_settings, "intake", "problems", "--json").output)
    assert [p["id"] for p in problems] == [stored], problems
    assert says in json.dumps(problems, ensure_ascii=False)
