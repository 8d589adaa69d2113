"""Alert texts from the templates: Indonesian first, English on request, never an identity."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from core.domain.alerts import RecipientView, immediate_recipients, load_messages
from core.domain.alerts.digest import DigestItem, TierChange, summarize
from core.domain.alerts.retry import retry_delay
from core.domain.alerts.routing import Audience
from core.domain.scoring.errors import RulesError

RULES_DIR = Path(__file__).resolve().parents[3] / "config" / "rules"
MESSAGES = load_messages(RULES_DIR / "alert_messages.toml")


def test_finding_texts_fill_values_and_translate_words():
    values = {"umur_bulan": 22, "jk": "l", "tinggi_cm": 78.0, "haz": "-2.84", "kategori": "pendek"}
    ind = MESSAGES.finding_texts("anak_di_bawah_minus_2sd", "id", values)
    assert "22 bulan (laki-laki)" in ind["temuan"] and "bidan desa" in ind["tindakan"]
    eng = MESSAGES.finding_texts("anak_di_bawah_minus_2sd", "en", values)
    assert "22 months (boy)" in eng["temuan"] and "stunted" in eng["temuan"]


def test_render_marks_urgency_and_ends_with_the_privacy_footer():
    out = MESSAGES.render("alert", "id", {"urgent": True, "judul": "anak berisiko stunting",
                                         "desa": "Melong", "desa_jenis": "Kelurahan", "ref": "PNT-000001"})  # fmt: skip
    assert out.subject == "[SEGERA] Pantau PNT-000001: anak berisiko stunting di Kelurahan Melong"
    assert out.body.rstrip().endswith("Buka tautan untuk melihat kasus di Pantau.")
    calm = MESSAGES.render("alert", "en", {"urgent": False, "judul": "x", "ref": "PNT-000002"})
    assert calm.subject.startswith("Pantau PNT-000002: x")


def test_a_template_with_an_unknown_placeholder_is_refused(tmp_path):
    path = tmp_path / "m.toml"
    text = (RULES_DIR / "alert_messages.toml").read_text()
    path.write_text(text.replace("Nomor kasus: {ref}", "Nomor kasus: {nik}", 1))
    with pytest.raises(RulesError) as exc:
        load_messages(path)
    assert "['nik']" in str(exc.value) and "[alert.id].body" in str(exc.value)


def test_routing__a_desa_alert_goes_to_that_desas_tpps_only():
    people = [
        RecipientView(1, "tpps", "32.77.01.1001"),
        RecipientView(2, "tpps", "32.77.01.1002"),
        RecipientView(3, "tpps", "32.77.01"),  # kecamatan: the digest, not each alert
        RecipientView(4, "pkb", "32.77.01"),
        RecipientView(5, "tpps", "32.77.01.1001", active=False),
    ]
    assert [r.id for r in immediate_recipients(people, "32.77.01.1001", Audience.FAMILY)] == [1]
    assert [r.id for r in immediate_recipients(people, "32.77.01.1001", Audience.IMP)] == [4]
    assert immediate_recipients(people, "32.77.010.1001", Audience.IMP) == []  # not a prefix


def test_retry_delay_grows_with_jitter_and_is_capped():
    rng = random.Random(1)
    delays = [retry_delay(n, 30, 3600, rng) for n in range(1, 12)]
    assert 15 <= delays[0] <= 30 and 30 <= delays[1] <= 60
    assert all(1800 <= d <= 3600 for d in delays[8:])


def test_digest_groups_by_desa_and_state():
    items = [
        DigestItem("Kelurahan Melong (Kec. Cimahi Selatan)", "krs_baru", "new", "PNT-000001"),
        DigestItem("Kelurahan Melong (Kec. Cimahi Selatan)", "krs_baru", "open", "PNT-000002"),
        DigestItem("Kelurahan Melong (Kec. Cimahi Selatan)", "ibu_hamil_kek", "closed", "PNT-000003"),
        DigestItem("Kelurahan Baros (Kec. Cimahi Tengah)", "anak_di_bawah_minus_2sd", "new", "PNT-000004", True),
    ]  # fmt: skip
    tiers = [TierChange("Kelurahan Baros (Kec. Cimahi Tengah)", "PPKBD-1", "berkembang", "dasar")]
    text = summarize(items, tiers, "id", MESSAGES)
    baros, melong = text.split("\n\n")
    assert baros.startswith("Kelurahan Baros") and "1 baru: PNT-000004 (segera)" in baros
    assert "Perubahan tingkat IMP: PPKBD-1 Berkembang -> Dasar" in baros
    assert "1 baru: PNT-000001; 1 masih terbuka: PNT-000002" in melong
    assert "Ibu hamil berisiko" in melong and "1 ditutup" in melong
    assert summarize([], [], "en", MESSAGES) == "Nothing new or open this week."
