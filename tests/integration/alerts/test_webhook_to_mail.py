"""A family survey posted to the webhook ends as one e-mail to that desa's TPPS, once."""

from __future__ import annotations

import re

from sqlalchemy import select

from core.store.models import Alert, Delivery, Recipient
from tests.conftest import pantau_env
from tests.integration.alerts.conftest import cli
from tests.integration.intake.conftest import AUTH, submit_and_read
from tests.support.processes import Proc, wait_for
from tests.support.submissions import family_answers, publish_in_sandbox

NO_KK = "3277010101200012"
KK_SHAPED = re.compile(r"(?<!\d)\d{16}(?!\d)")


def test_webhook__a_high_risk_survey_mails_that_desas_tpps_once(
    alert_settings, recipients, kobo_sandbox, smtp_sink, session_factory, tmp_path
):
    from service.app import create_app

    with session_factory() as s:
        form = publish_in_sandbox(kobo_sandbox, s, "keluarga_risiko")
        s.commit()
    worker = Proc(["worker", "--concurrency", "1"], pantau_env(alert_settings), tmp_path / "w.log")
    try:
        client = create_app(alert_settings).test_client()
        rec = submit_and_read(kobo_sandbox, form, family_answers(NO_KK))
        # Closed as a server closes it: the task is enqueued once the answer is out.
        with client.post("/webhooks/kobo", json=rec, headers=AUTH) as answer:
            assert answer.status_code == 202
        wait_for(
            lambda: smtp_sink.received, timeout=90, what=f"the alert e-mail\n{worker.output()}"
        )
        # A second delivery of the same submission (a Kobo retry) is a duplicate: no new alert.
        with client.post("/webhooks/kobo", json=rec, headers=AUTH) as again:
            assert again.status_code == 200
        with session_factory() as s:
            wait_for(
                lambda: s.scalar(select(Delivery).where(Delivery.status == "sent")),
                timeout=30,
                what="the delivery marked sent",
            )
            deliveries = s.scalars(select(Delivery)).all()
            alerts = s.scalars(select(Alert)).all()
            to = {s.get(Recipient, d.recipient_id).name for d in deliveries}
    finally:
        worker.stop()
    (mail,) = smtp_sink.received
    assert mail.rcpt_tos == ["tpps.melong@example.go.id"] and to == {"TPPS Melong"}
    assert [d.status for d in deliveries] == ["sent"]
    # One message for the family's visit, however many findings: here a stunted child and a
    # family newly at risk of stunting, each an alert with its own case reference.
    assert sorted(a.kind for a in alerts) == ["anak_di_bawah_minus_2sd", "krs_baru"]
    assert mail.subject.startswith("Pantau PNT-")
    assert "Kelurahan Melong" in mail.subject
    body = mail.body
    assert "Yth. TPPS Kelurahan Melong" in body
    assert "RW 004 / RT 002, Kelurahan Melong, Kecamatan Cimahi Selatan" in body
    assert "tinggi badan menurut umur z = -2.84, kategori pendek" in body
    assert "Rujuk anak ke bidan desa atau puskesmas" in body
    assert "https://pantau.example.go.id/alerts/" in body
    for alert in alerts:
        assert f"PNT-{alert.id:06d}" in body
    assert NO_KK not in body and not KK_SHAPED.search(body + mail.subject)
    # The same in the stored alert texts and the listing.
    listing = cli(alert_settings, "alerts", "list", "--json").output
    assert NO_KK not in listing and "Melong" in listing
