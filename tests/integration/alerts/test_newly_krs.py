"""A family newly at risk (KRS) is alerted once, however its surveys arrive.

Processing handles a unit of work's events once all of it is stored, against each family's
latest survey. A pull page, a replay or `process_pending` may bring two surveys of a family
never seen before in one unit: its "newly KRS" alert must still come, once.
"""

from __future__ import annotations

import shutil
from datetime import date

from sqlalchemy import select

from core.store.models import Alert
from tests.integration.alerts.conftest import cli
from tests.integration.alerts.helpers import deliver_all, family_surveys
from tests.support.submissions import family_answers

NO_KK = "3277010101200041"


def _kinds(session_factory) -> list[str]:
    with session_factory() as s:
        return sorted(a.kind for a in s.scalars(select(Alert)))


def test_two_surveys_of_a_new_family_in_one_unit__it_is_alerted_as_newly_krs_once(
    alert_settings, recipients, kobo_sandbox, smtp_sink, session_factory
):
    def survey(day: date, height: float) -> dict:
        return family_answers(NO_KK, survey=day, haz_child_cm=height)

    # The child is not stunted: the family is KRS by its unsafe water only.
    with family_surveys(alert_settings, kobo_sandbox, session_factory) as submit:
        submit(survey(date(2026, 9, 1), 85.0), survey(date(2026, 10, 1), 85.0))  # one unit
        assert _kinds(session_factory) == ["krs_baru"]
        assert deliver_all(alert_settings, session_factory) == ["sent"]
        (mail,) = smtp_sink.received
        assert mail.rcpt_tos == ["tpps.melong@example.go.id"]

        submit(survey(date(2026, 11, 1), 86.0))  # a third survey, still KRS: nothing new
    assert _kinds(session_factory) == ["krs_baru"]
    assert deliver_all(alert_settings, session_factory) == []


def test_a_family_a_rescore_made_krs__is_alerted_at_its_next_survey(
    alert_settings, recipients, kobo_sandbox, session_factory, tmp_path
):
    # A district counts "too many children" from 3 (krs.toml's operator ">="), where the
    # national rule says more than 3; the re-score makes this family KRS and raises nothing.
    rules = tmp_path / "rules"
    shutil.copytree(alert_settings.rules_dir, rules)
    krs = rules / "krs.toml"
    krs.write_text(krs.read_text().replace('operator = ">"', 'operator = ">="', 1))
    district = alert_settings.model_copy(update={"rules_dir": rules})

    def survey(day: date) -> dict:
        answers = family_answers(NO_KK, survey=day, haz_child_cm=85.0)
        answers["rumah/sumber_air"] = "ledeng"  # safe water
        answers["istri/jumlah_anak_hidup"] = "3"
        return answers

    with family_surveys(alert_settings, kobo_sandbox, session_factory) as submit:
        submit(survey(date(2026, 10, 1)))
        assert _kinds(session_factory) == []  # not KRS under the national rule
        cli(district, "score", "families")
        assert _kinds(session_factory) == []  # KRS now; a re-score raises no alert
        submit(survey(date(2026, 11, 1)), rules=district)
    assert _kinds(session_factory) == ["krs_baru"]
