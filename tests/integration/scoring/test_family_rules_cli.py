"""Family scoring rules through the webhook and `pantau score families --json`."""

import json
from datetime import date, timedelta

from click.testing import CliRunner

from cli.main import main
from tests.conftest import pantau_env
from tests.integration.intake.conftest import AUTH, submit_and_read
from tests.support.submissions import family_answers

NO_KK = "3277010101200012"
SURVEY = date(2026, 10, 20)


def _families(settings):
    result = CliRunner().invoke(main, ["score", "families", "--json"], env=pantau_env(settings))
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def _deliver(client, sandbox, form, answers):
    rec = submit_and_read(sandbox, form, answers)
    assert client.post("/webhooks/kobo", json=rec, headers=AUTH).status_code == 202
    return rec


def test_births_too_close__from_the_answered_birth_before_the_youngest(
    settings, client, kobo_sandbox, family_form
):
    answers = family_answers(NO_KK, survey=SURVEY)
    youngest = date.fromisoformat(answers["istri/tgl_lahir_anak_bungsu"])
    answers["istri/tgl_lahir_anak_sebelum_bungsu"] = (youngest - timedelta(days=600)).isoformat()
    _deliver(client, kobo_sandbox, family_form, answers)
    (family,) = _families(settings)
    assert family["factors"]["jarak_terlalu_dekat"] is True
    details = family["factor_details"]["jarak_terlalu_dekat"]
    assert details["dasar"] == "kelahiran"
    assert details["sumber_jarak"] == "tgl_lahir_anak_sebelum_bungsu"
    assert (details["jarak_bulan"], details["batas_bulan"]) == (19, 24)
    assert details["kelahiran_berikutnya"] == youngest.isoformat()
    assert "19 bulan" in details["keterangan_id"] and "19 months" in details["keterangan_en"]


def test_births_too_close__a_baby_is_not_a_risk_without_a_known_earlier_birth(
    settings, client, kobo_sandbox, family_form
):
    # The youngest is 22 months old and has a sibling whose birth date was not given: the old
    # rule flagged this family by the baby's age alone.
    _deliver(client, kobo_sandbox, family_form, family_answers(NO_KK, survey=SURVEY))
    (family,) = _families(settings)
    assert family["factors"]["jarak_terlalu_dekat"] is False
    details = family["factor_details"]["jarak_terlalu_dekat"]
    assert details["umur_bungsu_bulan"] == 22 and details["jarak_bulan"] is None
    assert "cannot be judged" in details["keterangan_en"]


def test_survey_without_today__scores_from_kobos_naive_utc_submission_time(
    settings, client, kobo_sandbox, family_form
):
    # Kobo sends `_submission_time` in UTC without an offset; SQLite hands it back naive.
    answers = family_answers(NO_KK, survey=SURVEY)
    del answers["today"]
    rec = submit_and_read(kobo_sandbox, family_form, answers)
    assert "today" not in rec
    rec["_submission_time"] = "2026-10-20T18:30:00"  # 01:30 WIB on 10-21
    assert client.post("/webhooks/kobo", json=rec, headers=AUTH).status_code == 202
    (family,) = _families(settings)
    assert family["target"] is True
    assert family["factor_details"]["jarak_terlalu_dekat"]["umur_bungsu_bulan"] == 22
    assert family["history"][0]["survey_date"] == "2026-10-21"
    problems = CliRunner().invoke(main, ["intake", "problems", "--json"], env=pantau_env(settings))
    assert problems.exit_code == 0, problems.output
    assert json.loads(problems.output) == []


def test_children__implausible_and_not_measured_are_flagged_apart_and_never_classified(
    settings, client, kobo_sandbox, family_form
):
    answers = family_answers(NO_KK, survey=SURVEY)
    stunted = answers["anak"][0]
    implausible = {**stunted, "anak/tinggi_cm": "50.0"}  # 682 days and 50 cm: z < -6
    not_measured = {k: v for k, v in stunted.items() if k != "anak/tinggi_cm"}
    answers["anak"] = [stunted, implausible, not_measured]
    _deliver(client, kobo_sandbox, family_form, answers)
    (family,) = _families(settings)
    children = family["children"]
    assert [c["flag"] for c in children] == [None, "implausible", "not_measured"]
    assert [c["category"] for c in children] == ["pendek", None, None]
    assert children[1]["haz"] < -6 and children[2]["haz"] is None
    assert [c["flag"] for c in family["history"][0]["children"]] == [
        None,
        "implausible",
        "not_measured",
    ]
