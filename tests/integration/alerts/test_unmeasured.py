"""A follow-up visit that did not measure something does not close the alert on it.

LiLA and Hb are optional in the survey, and a child may go unmeasured on a visit: "not
measured" is neither a finding nor an all-clear. The alert stays open until a measurement
clears it; a measurement that clears it closes it.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from core.store.models import Alert
from tests.integration.alerts.helpers import family_surveys
from tests.support.submissions import family_answers

NO_KK = "3277010101200051"
BORN = "2024-11-18"
FINDINGS = {"anak_di_bawah_minus_2sd", "ibu_hamil_anemia", "ibu_hamil_kek"}


def _pregnant(day: date, lila: float | None = None, hb: float | None = None, height=78.0):
    answers = family_answers(NO_KK, survey=day, haz_child_cm=height)
    # The same child on every visit (family_answers dates its birth from the survey's date).
    answers["anak"][0]["anak/tgl_lahir_anak"] = BORN
    answers["istri/tgl_lahir_anak_bungsu"] = BORN
    answers["istri/hamil"] = "ya"
    answers["istri/usia_kehamilan_bulan"] = "4"
    if lila is not None:
        answers["istri/lila_cm"] = str(lila)
    if hb is not None:
        answers["istri/hb"] = str(hb)
    return answers


def _open(session_factory) -> set[str]:
    with session_factory() as s:
        return {a.kind for a in s.scalars(select(Alert).where(Alert.status == "open"))}


def test_an_unmeasured_follow_up_keeps_the_alerts_open_and_a_measured_one_closes_them(
    alert_settings, recipients, kobo_sandbox, session_factory
):
    with family_surveys(alert_settings, kobo_sandbox, session_factory) as submit:
        submit(_pregnant(date(2026, 10, 1), lila=21.0, hb=10.0))  # KEK, anaemia, stunted
        assert FINDINGS <= _open(session_factory)

        unmeasured = _pregnant(date(2026, 11, 1))  # no LiLA, no Hb, the child not measured
        del unmeasured["anak"][0]["anak/tinggi_cm"]
        submit(unmeasured)
        assert FINDINGS <= _open(session_factory)

        submit(_pregnant(date(2026, 12, 1), lila=25.0, hb=12.5, height=84.5))  # all clear
    assert not FINDINGS & _open(session_factory)
    with session_factory() as s:
        closed = {a.kind: a.closed_reason for a in s.scalars(select(Alert))}
    assert all("no longer present" in closed[kind] for kind in FINDINGS)
