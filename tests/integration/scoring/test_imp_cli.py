"""`pantau score imp` on submissions that came in through the webhook, with the IMP registry."""

import json
from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cli.main import main
from core.store.models import Submission, TierAssessment
from tests.conftest import pantau_env
from tests.integration.intake.conftest import AUTH, submit_and_read
from tests.support.registry import IMP, SUB_IMP, seed_registry
from tests.support.submissions import meeting_answers, profile_answers, publish_in_sandbox

INACTIVE = "PPKBD-32.77.01.1002-LAMA"


def _run(settings, *args):
    return CliRunner().invoke(main, ["score", "imp", *args], env=pantau_env(settings))


def _json(settings, *args):
    result = _run(settings, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _deliver(client, sandbox, form, answers):
    rec = submit_and_read(sandbox, form, answers)
    assert client.post("/webhooks/kobo", json=rec, headers=AUTH).status_code == 202
    return rec


@pytest.fixture
def registry(session_factory):
    with session_factory() as s:
        seed_registry(s)
        s.commit()


@pytest.fixture
def profile_form(kobo_sandbox, session_factory):
    with session_factory() as session:
        return publish_in_sandbox(kobo_sandbox, session, "profil_imp")


def test_score_imp__ppkbd_with_a_single_manager_is_berkembang_by_its_registry_kind(
    settings, client, kobo_sandbox, profile_form, registry, session_factory
):
    for imp in (IMP, SUB_IMP):
        _deliver(client, kobo_sandbox, profile_form, profile_answers(imp, board="tunggal"))
    rows = {r["imp"]: r for r in _json(settings, "--period", "2026-10")}
    assert rows[IMP]["roles"]["pengorganisasian"] == 2
    assert rows[SUB_IMP]["roles"]["pengorganisasian"] == 1
    with session_factory() as s:
        stored = {
            t.imp_code: t.explanation["roles"]["pengorganisasian"]
            for t in s.scalars(select(TierAssessment))
        }
    (met,) = [c for c in stored[IMP]["met"] if c["code"] == "pengorganisasian.kepengurusan"]
    assert "Kepengurusan tunggal diterima untuk PPKBD (pengecualian pedoman" in met["text_id"]
    (unmet,) = [
        c for c in stored[SUB_IMP]["not_met"] if c["code"] == "pengorganisasian.kepengurusan"
    ]
    assert "only for PPKBD (this IMP: Sub-PPKBD)" in unmet["text_en"]


@pytest.mark.parametrize(
    ("period", "kind"), [("2026-10", "month"), ("2026-Q4", "quarter"), ("2026-S2", "semester")]
)
def test_score_imp__a_month_a_quarter_or_a_semester(
    settings, client, kobo_sandbox, meeting_form, period, kind
):
    _deliver(client, kobo_sandbox, meeting_form, meeting_answers(day=date(2026, 10, 6)))
    (row,) = _json(settings, "--period", period)
    assert (row["imp"], row["period"], row["period_kind"]) == (IMP, period, kind)
    # One meeting is routine for a month, not for a quarter (3) or a semester (6).
    if kind == "month":
        assert row["roles"]["pertemuan"] >= 2
    else:
        assert row["roles"]["pertemuan"] == 1


@pytest.mark.parametrize("bad", ["garbage", "2026-13", "2026-S3"])
def test_score_imp__a_bad_period_is_refused_in_one_line(settings, bad):
    result = _run(settings, "--period", bad)
    assert result.exit_code == 2
    (line,) = result.output.splitlines()
    assert bad in line and "YYYY-Sn" in line


def test_score_imp__every_active_registered_imp_gets_a_tier_without_reports(
    settings, client, kobo_sandbox, meeting_form, registry, session_factory
):
    _deliver(client, kobo_sandbox, meeting_form, meeting_answers(day=date(2026, 10, 6)))
    for args in (["--period", "2026-10"], []):
        rows = {(r["imp"], r["period"]): r for r in _json(settings, *args)}
        # The inactive IMP is not listed; the Sub-PPKBD without a report is, as Dasar.
        assert set(rows) == {(IMP, "2026-10"), (SUB_IMP, "2026-10")}, args
        assert rows[(SUB_IMP, "2026-10")]["tier"] == "dasar"
    assert _json(settings, "--period", "2026-10", "--wilayah", "32.77.02") == []
    with session_factory() as s:
        silent = s.scalar(select(TierAssessment).where(TierAssessment.imp_code == SUB_IMP))
        assert [n["text_id"] for n in silent.explanation["notes"]] == [
            "Tidak ada laporan yang diterima pada periode ini"
        ]
        assert s.scalar(select(TierAssessment).where(TierAssessment.imp_code == INACTIVE)) is None
    # A quarter lists every active IMP too.
    quarter = {r["imp"] for r in _json(settings, "--period", "2026-Q4")}
    assert quarter == {IMP, SUB_IMP}


def test_score_imp__explain_says_the_single_manager_exception_in_id_and_en(
    settings, client, kobo_sandbox, profile_form, registry
):
    for imp in (IMP, SUB_IMP):
        _deliver(client, kobo_sandbox, profile_form, profile_answers(imp, board="tunggal"))
    text = _run(settings, "--period", "2026-10", "--explain", IMP).stdout
    assert "Pengorganisasian: Berkembang (2)" in text
    assert "Kepengurusan tunggal diterima untuk PPKBD (pengecualian pedoman" in text
    sub = _run(settings, "--period", "2026-10", "--explain", SUB_IMP, "--lang", "en").stdout
    assert "Organisation: Dasar (1)" in sub
    assert "a single manager is accepted only for PPKBD (this IMP: Sub-PPKBD)" in sub


def test_score_imp__explain_an_imp_without_reports_says_so(settings, registry):
    text = _run(settings, "--period", "2026-10", "--explain", SUB_IMP).stdout
    assert "Catatan: Tidak ada laporan yang diterima pada periode ini." in text
    english = _run(settings, "--period", "2026-10", "--explain", SUB_IMP, "--lang", "en").stdout
    assert "Note: No report received in this period." in english


def test_score_imp__explain_names_roles_criteria_missing_and_evidence_in_id_and_en(
    settings, client, kobo_sandbox, meeting_form, session_factory
):
    # Two meetings, one without minutes: routine (Berkembang), minutes not complete (Mandiri).
    _deliver(client, kobo_sandbox, meeting_form, meeting_answers(day=date(2026, 10, 6)))
    no_minutes = meeting_answers(day=date(2026, 10, 20), notulen="tidak")
    _deliver(client, kobo_sandbox, meeting_form, no_minutes)
    result = _run(settings, "--period", "2026-10", "--explain", IMP)
    assert result.exit_code == 0, result.output
    with session_factory() as s:
        ids = sorted(s.scalars(select(Submission.id)).all())
    sid = ", ".join(str(i) for i in ids)
    text = result.stdout
    assert text.startswith(f"{IMP} · periode 2026-10 (bulan) · tingkat: Dasar")
    assert "Pertemuan: Berkembang (2)" in text
    assert "  Terpenuhi:" in text and "  Belum terpenuhi:" in text
    assert "  Yang kurang untuk Mandiri:" in text and "  Yang kurang untuk Berkembang:" in text
    assert f"  Bukti (id submission): {sid}" in text
    assert "Pengorganisasian: Dasar (1)" in text
    english = _run(settings, "--period", "2026-10", "--explain", IMP, "--lang", "en").stdout
    assert english.startswith(f"{IMP} · period 2026-10 (month) · tier: Dasar")
    assert "Meetings: Berkembang (2)" in english and "  Missing for Mandiri:" in english
    assert f"  Evidence (submission ids): {sid}" in english
    (row,) = _json(settings, "--period", "2026-10", "--explain", IMP)
    explanation = row["explanation"]
    assert explanation["roles"]["pertemuan"]["evidence"] == ids
    assert {"met", "not_met", "next_tier_missing"} <= set(explanation["roles"]["pertemuan"])


def test_score_imp__explain_an_unknown_imp_is_one_line_and_exit_2(settings, registry):
    result = _run(settings, "--period", "2026-10", "--explain", "PPKBD-NOPE")
    assert result.exit_code == 2
    (line,) = result.output.splitlines()
    assert "PPKBD-NOPE" in line
