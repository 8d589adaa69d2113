"""An IMP assessment's explanation as text: roles, criteria met and missing, evidence, notes."""

import pytest

from core.domain.scoring.errors import ScoringError
from core.domain.scoring.imp import assess_imp, explanation_lines, load_imp_rules
from tests.unit.scoring.builders import IMP, make_meeting, make_profile, mandiri_month

RULES = load_imp_rules()


def _text(result, lang="id"):
    return "\n".join(explanation_lines(result.explain(), lang))


def test_explanation__header_roles_in_order_and_evidence_ids():
    meeting = make_meeting(ada_notulen="tidak")
    profile = make_profile(ada_sk="tidak")
    result = assess_imp(IMP, "2026-10", [meeting, profile], RULES, imp_kind="ppkbd")
    lines = explanation_lines(result.explain())
    assert lines[0] == f"{IMP} · periode 2026-10 (bulan) · tingkat: Dasar"
    assert lines[1].startswith("Aturan versi 2026.2. Tingkat ditentukan oleh peran terendah:")
    roles = [line.split(":")[0] for line in lines if line and not line.startswith((" ", IMP))]
    assert roles[1:] == [
        "Pengorganisasian",
        "Pertemuan",
        "KIE dan konseling",
        "Pencatatan dan pendataan",
        "Pelayanan kegiatan",
        "Kemandirian",
    ]
    text = "\n".join(lines)
    assert "Pengorganisasian: Berkembang (2)" in text
    assert f"  Bukti (id submission): {profile.submission_id}" in text
    assert "  Yang kurang untuk Mandiri:\n    - Profil IMP: ada SK" in text
    assert f"[bukti: {meeting.submission_id}]" in text


def test_explanation__english_words_and_criteria():
    result = assess_imp(IMP, "2026-Q4", [make_meeting()], RULES)
    text = _text(result, "en")
    assert text.startswith(f"{IMP} · period 2026-Q4 (quarter) · tier: Dasar")
    assert "Meetings: Dasar (1)" in text
    assert "  Not met:\n    - Routine meetings: 1 in the period (at least 3)" in text
    assert "  Missing for Berkembang:" in text
    assert "  Evidence (submission ids): none" in text


def test_explanation__mandiri_roles_have_no_next_tier():
    text = _text(assess_imp(IMP, "2026-10", mandiri_month(), RULES))
    assert text.count("Sudah Mandiri: tidak ada tingkat berikutnya.") == 6
    assert "Yang kurang untuk" not in text


def test_explanation__no_report_note_in_both_languages():
    result = assess_imp(IMP, "2026-S2", [], RULES)
    assert "Catatan: Tidak ada laporan yang diterima pada periode ini." in _text(result)
    assert "(semester) · tier: Dasar" in _text(result, "en")
    assert "Note: No report received in this period." in _text(result, "en")


def test_explanation__reads_an_explanation_stored_before_these_keys_existed():
    stored = assess_imp(IMP, "2026-10", [make_meeting()], RULES).explain()
    for key in ("period_kind", "notes", "imp_kind"):
        stored.pop(key)
    lines = explanation_lines(stored, "en")
    assert lines[0] == f"{IMP} · period 2026-10 · tier: Dasar"


def test_explanation__unknown_language_is_refused():
    with pytest.raises(ScoringError, match="language"):
        explanation_lines(assess_imp(IMP, "2026-10", [], RULES).explain(), "fr")
