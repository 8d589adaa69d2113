"""IMP assessment as a whole: tier rule, explanations, roll-up, rules as data."""

import json
import tomllib
from datetime import date

import pytest

from core.domain.scoring.errors import PeriodError, RulesError
from core.domain.scoring.imp import ROLES, assess_imp, load_imp_rules, periods_for
from tests.unit.scoring.builders import (
    IMP,
    ROOT,
    SUB_IMP,
    make_kie,
    make_meeting,
    make_profile,
    make_report,
    mandiri_month,
    write_modified_rules,
)

RULES = load_imp_rules()


def without(facts, form):
    return [f for f in facts if f.form != form]


# ---------------------------------------------------------------- tier = lowest role


def test_tier__is_the_lowest_role():
    facts = without(mandiri_month(), "profil_imp") + [
        make_profile(upaya_kemandirian=["iuran_anggota", "apbdes_csr"], ada_sk="tidak")
    ]
    result = assess_imp(IMP, "2026-10", facts, RULES)
    assert result.roles["kemandirian"].level == 3
    assert result.roles["pengorganisasian"].level == 2
    assert result.tier == "berkembang"
    assert result.explain()["limited_by"] == ["pengorganisasian"]


def test_tier__one_dasar_role_makes_a_dasar_imp():
    facts = without(mandiri_month(), "profil_imp") + [
        make_profile(upaya_kemandirian=["kas_arisan"])
    ]
    result = assess_imp(IMP, "2026-10", facts, RULES)
    levels = {role: s.level for role, s in result.roles.items()}
    assert levels == {**dict.fromkeys(ROLES, 3), "kemandirian": 1}
    assert result.tier == "dasar"


def test_tier__no_submissions_at_all_is_dasar_everywhere_with_reasons():
    result = assess_imp(IMP, "2026-10", [], RULES)
    assert result.tier == "dasar"
    for role, score in result.roles.items():
        assert score.level == 1 and score.no_evidence and score.evidence == []
        assert score.not_met[0].code == f"{role}.tanpa_bukti"
        assert score.not_met[0].text_id.startswith("Tidak ada bukti")
        assert score.met == []
        # What the next tier needs is still spelled out.
        assert score.next_tier_missing


def test_no_evidence__single_role_without_submissions_says_so():
    result = assess_imp(IMP, "2026-10", without(mandiri_month(), "pertemuan_imp"), RULES)
    meeting = result.roles["pertemuan"]
    assert meeting.level == 1 and meeting.no_evidence
    assert "pertemuan_imp" in meeting.not_met[0].text_id
    assert "No evidence" in meeting.not_met[0].text_en
    assert result.roles["kie_konseling"].no_evidence is False


# ---------------------------------------------------------------- explanations


def test_explanation__names_the_submissions_behind_each_criterion():
    good = make_meeting(date(2026, 10, 6), submission_id=501)
    no_minutes = make_meeting(date(2026, 10, 20), submission_id=502, ada_notulen="tidak")
    other_imp = make_meeting(date(2026, 10, 21), submission_id=503, imp="3277011001-PPKBD-02")
    score = assess_imp(IMP, "2026-10", [good, no_minutes, other_imp], RULES).roles["pertemuan"]
    assert score.level == 2
    assert score.evidence == [501, 502]
    by_code = {c.code: c for c in score.met + score.not_met}
    assert by_code["pertemuan.notulen"].evidence == (501,)
    assert by_code["pertemuan.rutin"].evidence == (501, 502)
    assert [c.code for c in score.next_tier_missing] == ["pertemuan.notulen_lengkap"]
    assert "1 dari 2 pertemuan memiliki notulen" in score.next_tier_missing[0].text_id


def test_explanation__late_report_is_not_evidence_of_timeliness():
    late = make_report(submission_id=701, submitted_at=make_report().submitted_at.replace(day=25))
    profile = make_profile(submission_id=702)
    score = assess_imp(IMP, "2026-10", [late, profile], RULES).roles["pencatatan"]
    assert score.evidence == [701, 702]
    timely = next(c for c in score.not_met if c.code == "pencatatan.tepat_waktu")
    assert timely.evidence == ()
    assert "tanggal 10" in timely.text_id and "UTC+7" in timely.text_en


def test_to_dict_and_explain__are_json_and_match_the_cli_shape():
    result = assess_imp(IMP, "2026-10", mandiri_month(), RULES)
    compact = json.loads(json.dumps(result.to_dict()))
    assert compact == {
        "imp": IMP,
        "period": "2026-10",
        "period_kind": "month",
        "tier": "mandiri",
        "roles": dict.fromkeys(ROLES, 3),
        "rules_version": "2026.2",
    }
    full = json.loads(json.dumps(result.explain()))
    assert full["roles"]["pertemuan"]["tier"] == "mandiri"
    assert {"text_id", "text_en", "code", "evidence"} <= set(full["roles"]["pertemuan"]["met"][0])


# ---------------------------------------------------------------- roll-up


def test_rollup__children_meetings_and_kie_count_for_the_ppkbd():
    children = [
        make_meeting(date(2026, 10, 8), imp=SUB_IMP, submission_id=801),
        *[make_kie(kind, imp=SUB_IMP) for kind in ("kie_individu", "konseling")],
    ]
    alone = assess_imp(IMP, "2026-10", [make_profile()], RULES)
    assert alone.roles["pertemuan"].no_evidence
    rolled = assess_imp(IMP, "2026-10", [make_profile()], RULES, child_facts=children)
    assert rolled.roles["pertemuan"].level == 3
    assert rolled.roles["pertemuan"].evidence == [801]
    assert rolled.roles["kie_konseling"].level == 2


def test_rollup__roles_not_listed_ignore_children():
    child_profile = make_profile(imp=SUB_IMP)
    child_report = make_report(imp=SUB_IMP)
    result = assess_imp(IMP, "2026-10", [], RULES, child_facts=[child_profile, child_report])
    assert result.roles["pengorganisasian"].no_evidence
    assert result.roles["pencatatan"].no_evidence
    # pelayanan is not in the shipped roll-up list either.
    assert result.roles["pelayanan"].no_evidence


def test_rollup__switch_in_rules_file_turns_children_off(tmp_path):
    path = write_modified_rules(
        "imp_rubric.toml",
        tmp_path / "rubric.toml",
        'roles = ["pertemuan", "kie_konseling"]',
        'roles = ["kie_konseling", "pelayanan"]',
    )
    rules = load_imp_rules(path)
    children = [make_meeting(imp=SUB_IMP), make_report(imp=SUB_IMP)]
    result = assess_imp(IMP, "2026-10", [make_profile()], rules, child_facts=children)
    assert result.roles["pertemuan"].no_evidence
    assert result.roles["pelayanan"].level == 3


# ---------------------------------------------------------------- rules are data


def test_rules__changing_a_threshold_in_the_file_changes_the_result(tmp_path):
    facts = mandiri_month()
    assert assess_imp(IMP, "2026-10", facts, RULES).roles["kemandirian"].level == 3
    path = write_modified_rules(
        "imp_rubric.toml",
        tmp_path / "rubric.toml",
        "[kemandirian.berkembang]\nmin_upaya = 2",
        "[kemandirian.berkembang]\nmin_upaya = 3",
    )
    stricter = load_imp_rules(path)
    result = assess_imp(IMP, "2026-10", facts, stricter)
    assert result.roles["kemandirian"].level == 1
    assert "minimal 3" in result.roles["kemandirian"].next_tier_missing[0].text_id
    assert result.tier == "dasar"


def test_rules__deadline_day_in_file_moves_the_on_time_boundary(tmp_path):
    report = make_report(submitted_at=make_report().submitted_at.replace(day=12))
    assert assess_imp(IMP, "2026-10", [report], RULES).roles["pencatatan"].level == 1
    path = write_modified_rules(
        "imp_rubric.toml", tmp_path / "r.toml", "deadline_day = 10", "deadline_day = 15"
    )
    score = assess_imp(IMP, "2026-10", [report], load_imp_rules(path)).roles["pencatatan"]
    assert score.met[0].code == "pencatatan.tepat_waktu"


def test_rules__version_is_recorded(tmp_path):
    path = write_modified_rules(
        "imp_rubric.toml", tmp_path / "r.toml", 'version = "2026.2"', 'version = "kab-3204-2"'
    )
    assert assess_imp(IMP, "2026-10", [], load_imp_rules(path)).rules_version == "kab-3204-2"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("deadline_day = 10", "deadline_day = 32", "pencatatan.berkembang.deadline_day"),
        ("deadline_day = 10", "deadline_day = '10'", "pencatatan.berkembang.deadline_day"),
        ("deadline_day = 10", "deadlin_day = 10", "pencatatan.berkembang.deadline_day"),
        ("min_share_notulen = 0.5", "min_share_notulen = 1.5", "min_share_notulen"),
        # (A semester was refused here before semesters were added.)
        ('kind = "month"', 'kind = "week"', "period.kind"),
        ("quarter = 3, semester = 6", "quarter = 3", "min_meetings.semester"),
        ('roles = ["pertemuan", "kie_konseling"]', 'roles = ["kemandirian"]', "rollup.roles"),
        ("every_month = true", "every_month = true\nevry_month = true", "evry_month"),
        ('"jumlah_kelompok",', '"jumlah_kelompk",', "required_counts"),
        ('required_yes = ["ada_seksi", "ada_sk"]', 'required_yes = ["ada_sk", "ada_x"]', "ada_x"),
    ],
)
def test_rules__bad_file_is_refused_naming_the_key(tmp_path, old, new, message):
    path = write_modified_rules("imp_rubric.toml", tmp_path / "bad.toml", old, new)
    with pytest.raises(RulesError, match=message) as info:
        load_imp_rules(path)
    assert "bad.toml" in str(info.value)


def test_rules__missing_file_and_broken_toml_are_rules_errors(tmp_path):
    with pytest.raises(RulesError, match="does not exist"):
        load_imp_rules(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("version = ", encoding="utf-8")
    with pytest.raises(RulesError, match="not valid TOML"):
        load_imp_rules(broken)


def test_rules__choice_lists_use_names_from_the_form_contract():
    contract = tomllib.loads((ROOT / "xlsforms" / "contract.toml").read_text(encoding="utf-8"))
    forms = contract["forms"]

    def choices(form, name):
        return set(forms[form]["fields"][name]["choices"])

    assert set(RULES.org_b_kepengurusan) <= choices("profil_imp", "kepengurusan")
    assert set(RULES.meet_evaluation_types) <= choices("pertemuan_imp", "jenis_pertemuan")
    assert set(RULES.meet_follow_up_done) <= choices("pertemuan_imp", "tindak_lanjut_lalu")
    kinds = choices("kie_konseling", "jenis_kegiatan")
    assert set(RULES.kie_kinds + RULES.kie_counselling_kinds) <= kinds
    assert set(RULES.self_m_dana_sendiri_atau_sekretariat) <= choices(
        "profil_imp", "upaya_kemandirian"
    )
    assert set(RULES.rec_m_required_counts) <= set(forms["laporan_bulanan_imp"]["fields"])


# ---------------------------------------------------------------- periods


def test_assess__quarter_period_and_bad_period():
    facts = [f for m in ("2026-10", "2026-11", "2026-12") for f in mandiri_month(m)]
    assert assess_imp(IMP, "2026-Q4", facts, RULES).tier == "mandiri"
    with pytest.raises(PeriodError):
        assess_imp(IMP, "2026-Q5", facts, RULES)


def test_assess__semester_needs_a_meeting_every_month_for_mandiri():
    months = [f"2026-{m:02d}" for m in range(7, 13)]
    facts = [f for m in months for f in mandiri_month(m)]
    result = assess_imp(IMP, "2026-S2", facts, RULES)
    assert result.tier == "mandiri" and result.period_kind == "semester"
    without_august = [
        f for f in facts if not (f.form == "pertemuan_imp" and f.get("tgl_pertemuan").month == 8)
    ]
    score = assess_imp(IMP, "2026-S2", without_august, RULES).roles["pertemuan"]
    # Five meetings in six months: not routine for a semester (at least 6), not monthly.
    assert score.level == 1
    assert {c.code for c in score.not_met} >= {"pertemuan.rutin", "pertemuan.bulanan"}
    assert any("2026-08" in c.text_id for c in score.not_met)


def test_periods_for__the_periods_a_submission_can_change():
    assert periods_for(make_meeting(date(2026, 10, 31)), RULES) == ["2026-10"]
    assert periods_for(make_meeting(date(2026, 10, 31)), RULES, "quarter") == ["2026-Q4"]
    assert periods_for(make_report("2026-12"), RULES, "quarter") == ["2026-Q4"]
    assert periods_for(make_report("2026-12"), RULES, "semester") == ["2026-S2"]
    assert periods_for(make_profile("2026-10"), RULES, "semester") == [
        "2026-S2",
        "2027-S1",
        "2027-S2",
    ]
    # A profile stays the latest one for up to 12 months after its own month.
    months = periods_for(make_profile("2026-10"), RULES)
    assert months[0] == "2026-10" and months[-1] == "2027-10" and len(months) == 13
    assert periods_for(make_profile("2026-10"), RULES, "quarter") == [
        "2026-Q4",
        "2027-Q1",
        "2027-Q2",
        "2027-Q3",
        "2027-Q4",
    ]
