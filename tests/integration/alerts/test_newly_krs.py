"""A family newly at risk (KRS) is alerted once, however its surveys arrive.

Processing handles a unit of work's events once all of it is stored, against each family's
latest survey. A pull page, a replay or `process_pending` may bring two surveys of a family
never seen before in one unit: its "newly KRS" alert must still come, once.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from core.store.models import Alert, Submission
from service.app import create_app
from tests.integration.alerts.helpers import deliver_all, post_survey
from tests.support.submissions import family_answers, publish_in_sandbox
from workers.celery_app import make_celery

NO_KK = "3277010101200041"


def _kinds(session_factory) -> list[str]:
    with session_factory() as s:
        return sorted(a.kind for a in s.scalars(select(Alert)))


def test_two_surveys_of_a_new_family_in_one_unit__it_is_alerted_as_newly_krs_once(
    alert_settings, recipients, kobo_sandbox, smtp_sink, session_factory
):
    with session_factory() as s:
        form = publish_in_sandbox(kobo_sandbox, s, "keluarga_risiko")
        s.commit()
    app = create_app(alert_settings)
    client = app.test_client()
    # The child measures 85 cm (not stunted): the family is KRS by its unsafe water only.
    for day in (date(2026, 9, 1), date(2026, 10, 1)):
        post_survey(
            client, kobo_sandbox, form, family_answers(NO_KK, survey=day, haz_child_cm=85.0)
        )
    with session_factory() as s:
        ids = list(s.scalars(select(Submission.id).order_by(Submission.id)))
    assert len(ids) == 2

    make_celery(alert_settings).tasks["pantau.process_submissions"].apply(args=[ids]).get()
    assert _kinds(session_factory) == ["krs_baru"]
    assert deliver_all(alert_settings, session_factory) == ["sent"]
    (mail,) = smtp_sink.received
    assert mail.rcpt_tos == ["tpps.melong@example.go.id"]

    # A third survey, still KRS: nothing new.
    post_survey(
        client,
        kobo_sandbox,
        form,
        family_answers(NO_KK, survey=date(2026, 11, 1), haz_child_cm=86.0),
    )
    app.extensions["pantau.engine"].dispose()
    with session_factory() as s:
        third = s.scalar(select(Submission.id).order_by(Submission.id.desc()))
    make_celery(alert_settings).tasks["pantau.process_submissions"].apply(args=[[third]]).get()
    assert _kinds(session_factory) == ["krs_baru"]
    assert deliver_all(alert_settings, session_factory) == []
