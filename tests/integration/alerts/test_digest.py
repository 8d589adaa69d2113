"""The weekly digest: one message per recipient about its wilayah, grouped by kelurahan."""

from __future__ import annotations

from sqlalchemy import select

from core.store.models import Digest
from service.app import create_app
from tests.integration.alerts.conftest import cli
from tests.integration.alerts.helpers import deliver_all, post_survey, process
from tests.support.submissions import family_answers, publish_in_sandbox

PLACES = {
    "32.77.01.1001": "3277010101200012",  # Kelurahan Melong, Kec. Cimahi Selatan
    "32.77.01.1002": "3277010101200013",  # Kelurahan Cibeureum, Kec. Cimahi Selatan
    "32.77.02.1001": "3277020101200014",  # Kelurahan Baros, Kec. Cimahi Tengah
}
RECIPIENTS = (
    "name,wilayah,channel,address,language\n"
    "TPPS Kota Cimahi,32.77,email,kota@example.go.id,id\n"
    "TPPS Cimahi Selatan,32.77.01,email,cisel@example.go.id,id\n"
    "TPPS Cimahi Tengah,32.77.02,email,citeng@example.go.id,en\n"
    "TPPS Melong,32.77.01.1001,email,melong@example.go.id,id\n"
)


def _survey(desa: str, no_kk: str) -> dict:
    answers = family_answers(no_kk)
    answers["wilayah/kecamatan"], answers["wilayah/desa"] = desa.rsplit(".", 1)[0], desa
    return answers


def test_digest__groups_findings_by_kelurahan_within_each_recipients_wilayah(
    alert_settings, kobo_sandbox, smtp_sink, session_factory, tmp_path
):
    path = tmp_path / "r.csv"
    path.write_text(RECIPIENTS, encoding="utf-8")
    cli(alert_settings, "recipients", "import", str(path))
    with session_factory() as s:
        form = publish_in_sandbox(kobo_sandbox, s, "keluarga_risiko")
        s.commit()
    app = create_app(alert_settings)
    for desa, no_kk in PLACES.items():
        post_survey(app.test_client(), kobo_sandbox, form, _survey(desa, no_kk))
    app.extensions["pantau.engine"].dispose()
    process(alert_settings)
    assert "4 digest(s) queued" in cli(alert_settings, "alerts", "digest").output
    assert "0 digest(s) queued" in cli(alert_settings, "alerts", "digest").output  # once a week
    deliver_all(alert_settings, session_factory)
    digests = {
        m.rcpt_tos[0]: m
        for m in smtp_sink.received
        if "ringkasan" in m.subject or "digest" in m.subject
    }
    assert set(digests) == {
        "kota@example.go.id",
        "cisel@example.go.id",
        "citeng@example.go.id",
        "melong@example.go.id",
    }

    def blocks(address: str) -> list[str]:
        return [
            b.splitlines()[0]
            for b in digests[address].body.split("\n\n")
            if b.startswith("Kelurahan")
        ]

    assert blocks("kota@example.go.id") == [
        "Kelurahan Baros (Kec. Cimahi Tengah)",
        "Kelurahan Cibeureum (Kec. Cimahi Selatan)",
        "Kelurahan Melong (Kec. Cimahi Selatan)",
    ]
    assert blocks("cisel@example.go.id") == [
        "Kelurahan Cibeureum (Kec. Cimahi Selatan)",
        "Kelurahan Melong (Kec. Cimahi Selatan)",
    ]
    assert blocks("citeng@example.go.id") == ["Kelurahan Baros (Kec. Cimahi Tengah)"]
    assert blocks("melong@example.go.id") == ["Kelurahan Melong (Kec. Cimahi Selatan)"]
    cisel = digests["cisel@example.go.id"].body
    assert "Keluarga berisiko stunting (KRS): 1 baru: PNT-" in cisel
    assert "Anak di bawah -2 SD: 1 baru: PNT-" in cisel
    english = digests["citeng@example.go.id"]
    assert (
        english.subject == "Pantau: weekly digest for Cimahi Tengah, week " + english.subject[-8:]
    )
    assert "Families at risk of stunting (KRS): 1 new" in english.body
    for mail in digests.values():
        assert not any(no_kk in mail.body for no_kk in PLACES.values())
    # Kecamatan and kab/kota TPPS heard of nothing else: no immediate alert went to them.
    others = [m for m in smtp_sink.received if m not in digests.values()]
    assert {m.rcpt_tos[0] for m in others} == {"melong@example.go.id"}


def test_digest__a_tier_assessed_for_the_first_time_is_no_change(
    alert_settings, session_factory, tmp_path
):
    # The beat scores every IMP each month: each new month's first tier (from None) is not a
    # change, and a tier that went up and back down within the week did not change either.
    # Only a real change is listed, with its period. The events are as the scorer writes them.
    from datetime import timedelta

    from core.store.models import DomainEvent, utcnow

    path = tmp_path / "r.csv"
    path.write_text(RECIPIENTS, encoding="utf-8")
    cli(alert_settings, "recipients", "import", str(path))
    melong, now = "32.77.01.1001", utcnow()
    tiers = [
        ("P1", "2026-11", None, "dasar"),  # first assessed: no change
        ("P2", "2026-11", None, "dasar"),
        ("P2", "2026-11", "dasar", "berkembang"),
        ("P2", "2026-11", "berkembang", "dasar"),  # back where it was: no change
        ("P3", "2026-11", "berkembang", "mandiri"),
        ("P3", "2026-11", "mandiri", "dasar"),  # berkembang -> dasar over the week
        ("P3", "2026-12", None, "dasar"),
        ("P4", "2026-12", None, "berkembang"),  # first assessed, then dropped: a change
        ("P4", "2026-12", "berkembang", "dasar"),
    ]
    with session_factory() as s:
        for n, (imp, period, before, after) in enumerate(tiers):
            payload = {"imp": imp, "period": period, "from": before, "to": after}
            at = now - timedelta(hours=len(tiers) - n)
            s.add(
                DomainEvent(
                    kind="imp_tier_changed", desa_code=melong, payload=payload, created_at=at
                )
            )
        s.commit()
    assert "digest(s) queued" in cli(alert_settings, "alerts", "digest").output
    with session_factory() as s:
        bodies = [d.text_id for d in s.scalars(select(Digest))]
    assert bodies
    tier_lines = {line for body in bodies for line in body.splitlines() if "tingkat IMP" in line}
    assert tier_lines == {
        "- Perubahan tingkat IMP: P3 (2026-11) Berkembang -> Dasar",
        "- Perubahan tingkat IMP: P4 (2026-12) Berkembang -> Dasar",
    }
