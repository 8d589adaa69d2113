"""A family's open alerts go with it when it moves, to the TPPS of the desa it lives in now.

Surveyed in Melong with a stunted child, the family is surveyed a month later in Cibeureum,
the child still stunted. Melong's alerts close ("the family moved to Cibeureum") and the
findings are raised again in Cibeureum: its TPPS gets one message, Melong's nothing more.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from core.store.models import Alert
from tests.integration.alerts.helpers import deliver_all, family_surveys
from tests.support.registry import DESA, DESA_2
from tests.support.submissions import family_answers

NO_KK = "3277010101200071"
BORN = "2024-11-18"


def _survey(desa: str, day: date, height: float) -> dict:
    answers = family_answers(NO_KK, survey=day, haz_child_cm=height)
    answers["wilayah/desa"] = desa
    answers["anak"][0]["anak/tgl_lahir_anak"] = BORN  # the same child on every visit
    answers["istri/tgl_lahir_anak_bungsu"] = BORN
    return answers


def _alerts(session_factory) -> list[tuple[str, str, str]]:
    with session_factory() as s:
        rows = s.scalars(select(Alert).order_by(Alert.id))
        return [(a.kind, a.desa_code, a.status) for a in rows]


def test_a_moved_familys_alerts_follow_it_to_its_new_desa(
    alert_settings, recipients, kobo_sandbox, smtp_sink, session_factory
):
    with family_surveys(alert_settings, kobo_sandbox, session_factory) as submit:
        submit(_survey(DESA, date(2026, 10, 1), 76.0))
        deliver_all(alert_settings, session_factory)
        assert sorted(_alerts(session_factory)) == [
            ("anak_di_bawah_minus_2sd", DESA, "open"),
            ("krs_baru", DESA, "open"),
        ]
        for day, height in ((date(2026, 11, 5), 77.5), (date(2026, 12, 5), 78.5)):
            # moved, the child still stunted; then again, with nothing new to say
            submit(_survey(DESA_2, day, height))
            deliver_all(alert_settings, session_factory)

    assert sorted(_alerts(session_factory)) == [
        ("anak_di_bawah_minus_2sd", DESA, "closed"),
        ("anak_di_bawah_minus_2sd", DESA_2, "open"),
        ("krs_baru", DESA, "closed"),
        ("krs_baru", DESA_2, "open"),
    ]
    with session_factory() as s:
        reasons = {a.closed_reason for a in s.scalars(select(Alert)) if a.status == "closed"}
    assert reasons == {"keluarga pindah ke Cibeureum / the family moved to Cibeureum"}
    to = [m.rcpt_tos for m in smtp_sink.received]
    assert to == [["tpps.melong@example.go.id"], ["tpps.cibeureum@example.go.id"]]
    assert "Cibeureum" in smtp_sink.received[1].body
