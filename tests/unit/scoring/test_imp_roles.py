"""Each role of the rubric, with a case just above and just below each threshold."""

from datetime import date

import pytest

from core.domain.scoring.imp import assess_imp, load_imp_rules
from tests.unit.scoring.builders import (
    IMP,
    make_kie,
    make_kie_set,
    make_meeting,
    make_profile,
    make_report,
    mandiri_month,
    utc,
)

RULES = load_imp_rules()


def level(role, facts, period="2026-10", rules=RULES):
    return assess_imp(IMP, period, facts, rules).roles[role].level


def replace(facts, form, new):
    """The mandiri set with every fact of `form` replaced by `new`."""
    return [f for f in facts if f.form != form] + list(new)


def test_mandiri_month__every_role_is_level_3():
    result = assess_imp(IMP, "2026-10", mandiri_month(), RULES)
    assert {role: s.level for role, s in result.roles.items()} == dict.fromkeys(result.roles, 3)
    assert result.tier == "mandiri"
    assert all(not s.next_tier_missing for s in result.roles.values())


# ---------------------------------------------------------------- pengorganisasian


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({}, 3),
        ({"ada_sk": "tidak"}, 2),
        ({"ada_seksi": "tidak"}, 2),
        ({"pembagian_tugas_tertulis": "tidak"}, 1),
        ({"kepengurusan": "tunggal"}, 1),
        ({"kepengurusan": "belum_ada", "ada_seksi": "tidak", "ada_sk": "tidak"}, 1),
    ],
)
def test_pengorganisasian__levels(overrides, expected):
    assert level("pengorganisasian", [make_profile(**overrides)]) == expected


def test_pengorganisasian__uses_latest_profile_not_after_period():
    older = make_profile("2026-08", kepengurusan="tunggal")
    current = make_profile("2026-09", ada_sk="tidak")
    future = make_profile("2026-11")
    score = assess_imp(IMP, "2026-10", [older, current, future], RULES).roles["pengorganisasian"]
    assert score.level == 2
    assert score.evidence == [current.submission_id]


def test_pengorganisasian__profile_older_than_max_age_is_no_evidence():
    just_in = make_profile("2025-10")  # 12 months before 2026-10
    assert level("pengorganisasian", [just_in]) == 3
    too_old = make_profile("2025-09")  # 13 months before
    score = assess_imp(IMP, "2026-10", [too_old], RULES).roles["pengorganisasian"]
    assert score.level == 1 and score.no_evidence


def test_pengorganisasian__resubmitted_profile_for_same_month_wins():
    first = make_profile(ada_sk="tidak", submitted_at=utc(2026, 10, 20))
    fixed = make_profile(submitted_at=utc(2026, 10, 22))
    assert level("pengorganisasian", [fixed, first]) == 3


# ---------------------------------------------------------------- pertemuan


def test_pertemuan__one_complete_meeting_a_month_is_mandiri():
    assert level("pertemuan", [make_meeting()]) == 3


def test_pertemuan__minutes_share_just_at_and_below_berkembang_threshold():
    # 1 of 2 meetings with minutes = 50% (threshold 0.5): berkembang, not mandiri (100%).
    half = [make_meeting(date(2026, 10, 6)), make_meeting(date(2026, 10, 20), ada_notulen="tidak")]
    assert level("pertemuan", half) == 2
    # 1 of 3 = 33%: below berkembang.
    third = half + [make_meeting(date(2026, 10, 27), ada_notulen="tidak")]
    assert level("pertemuan", third) == 1


def test_pertemuan__work_plan_share_just_at_and_below_threshold():
    half = [
        make_meeting(date(2026, 10, 6)),
        make_meeting(date(2026, 10, 20), ada_rencana_kerja="tidak"),
    ]
    assert level("pertemuan", half) == 2
    third = half + [make_meeting(date(2026, 10, 27), ada_rencana_kerja="tidak")]
    assert level("pertemuan", third) == 1


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"tindak_lanjut_lalu": "ya"}, 3),
        ({"tindak_lanjut_lalu": "sebagian"}, 2),
        ({"tindak_lanjut_lalu": "tidak"}, 2),
        ({"tindak_lanjut_lalu": "tidak_ada"}, 2),
        # An evaluation meeting counts even without earlier follow-ups.
        ({"tindak_lanjut_lalu": "tidak_ada", "jenis_pertemuan": "monev"}, 3),
    ],
)
def test_pertemuan__follow_up_or_evaluation_for_mandiri(overrides, expected):
    assert level("pertemuan", [make_meeting(**overrides)]) == expected


def test_pertemuan__quarter_needs_three_meetings_and_one_every_month_for_mandiri():
    oct_, nov, dec = date(2026, 10, 6), date(2026, 11, 6), date(2026, 12, 6)
    assert level("pertemuan", [make_meeting(d) for d in (oct_, nov, dec)], "2026-Q4") == 3
    # Three meetings, but none in November: routine (berkembang), not monthly.
    two_months = [make_meeting(d) for d in (oct_, date(2026, 10, 20), dec)]
    assert level("pertemuan", two_months, "2026-Q4") == 2
    # Two meetings: below the quarterly minimum of 3.
    assert level("pertemuan", [make_meeting(oct_), make_meeting(nov)], "2026-Q4") == 1


def test_pertemuan__meetings_outside_period_do_not_count():
    score = assess_imp(IMP, "2026-10", [make_meeting(date(2026, 9, 30))], RULES)
    assert score.roles["pertemuan"].no_evidence


# ---------------------------------------------------------------- KIE & konseling


def test_kie__kie_only_is_dasar():
    assert level("kie_konseling", [make_kie("kie_kelompok"), make_kie("kie_massa")]) == 1


def test_kie__counselling_only_is_dasar():
    assert level("kie_konseling", [make_kie("konseling")]) == 1


def test_kie__kie_and_counselling_is_berkembang():
    assert level("kie_konseling", [make_kie("kie_individu"), make_kie("konseling")]) == 2


def test_kie__every_kind_recorded_is_mandiri_and_one_kind_missing_is_not():
    assert level("kie_konseling", make_kie_set()) == 3
    without_mass = [f for f in make_kie_set() if f.get("jenis_kegiatan") != "kie_massa"]
    score = assess_imp(IMP, "2026-10", without_mass, RULES).roles["kie_konseling"]
    assert score.level == 2
    assert [c.code for c in score.next_tier_missing] == ["kie_konseling.semua_jenis"]
    assert "kie_massa" in score.next_tier_missing[0].text_id


def test_kie__activity_without_participants_is_not_recorded():
    acts = make_kie_set()
    empty = make_kie("kie_massa", jumlah_perempuan=0, jumlah_laki=0)
    score = assess_imp(IMP, "2026-10", acts + [empty], RULES).roles["kie_konseling"]
    assert score.level == 2
    assert score.next_tier_missing[0].code == "kie_konseling.tercatat"
    assert score.next_tier_missing[0].evidence == (empty.submission_id,)


# ---------------------------------------------------------------- pencatatan


def test_pencatatan__on_time_deadline_at_wib_day_boundary():
    # 16:59:59 UTC on the 10th is 23:59:59 WIB on the 10th: on time.
    last_second = make_report(submitted_at=utc(2026, 11, 10, 16, 59, 59))
    assert level("pencatatan", [last_second, make_profile()]) == 3
    # 17:00 UTC on the 10th is already the 11th in WIB: late.
    first_late = make_report(submitted_at=utc(2026, 11, 10, 17, 0, 0))
    score = assess_imp(IMP, "2026-10", [first_late, make_profile()], RULES).roles["pencatatan"]
    assert score.level == 1
    assert score.next_tier_missing[0].code == "pencatatan.tepat_waktu"
    assert "2026-10" in score.next_tier_missing[0].text_id


def test_pencatatan__missing_count_is_incomplete():
    report = make_report(pertemuan_poktan=None)
    score = assess_imp(IMP, "2026-10", [report, make_profile()], RULES).roles["pencatatan"]
    assert score.level == 2
    assert [c.code for c in score.next_tier_missing] == ["pencatatan.lengkap"]
    assert "pertemuan_poktan" in score.next_tier_missing[0].text_id


def test_pencatatan__zero_counts_are_complete():
    report = make_report(jumlah_rujukan=0, pertemuan_poktan=0)
    assert level("pencatatan", [report, make_profile()]) == 3


def test_pencatatan__no_target_map_stays_berkembang():
    assert level("pencatatan", [make_report(), make_profile(ada_peta_sasaran="tidak")]) == 2


def test_pencatatan__quarter_needs_every_month_on_time():
    reports = [make_report(m) for m in ("2026-10", "2026-11", "2026-12")]
    assert level("pencatatan", reports + [make_profile("2026-12")], "2026-Q4") == 3
    score = assess_imp(IMP, "2026-Q4", reports[:2] + [make_profile("2026-12")], RULES)
    assert score.roles["pencatatan"].level == 1
    assert "2026-12" in score.roles["pencatatan"].not_met[0].text_en


def test_pencatatan__early_on_time_report_counts_even_if_corrected_late():
    on_time = make_report(submitted_at=utc(2026, 11, 4))
    correction = make_report(submitted_at=utc(2026, 11, 20))
    assert level("pencatatan", [on_time, correction, make_profile()]) == 3


# ---------------------------------------------------------------- pelayanan


def svc(report=None, kies=(), profile=None):
    facts = [report or make_report(), profile or make_profile(), *kies]
    return assess_imp(IMP, "2026-10", facts, RULES).roles["pelayanan"]


def test_pelayanan__resupply_just_at_and_below_threshold():
    assert svc(make_report(jumlah_pelayanan_ulang=1)).level == 3
    assert svc(make_report(jumlah_pelayanan_ulang=0)).level == 1


def test_pelayanan__referrals_just_at_and_below_threshold():
    assert svc(make_report(jumlah_rujukan=1)).level == 3
    assert svc(make_report(jumlah_rujukan=0)).level == 1


def test_pelayanan__kie_counts_stand_in_for_report_counts():
    report = make_report(jumlah_pelayanan_ulang=0, jumlah_rujukan=0)
    kie = make_kie("konseling", pelayanan_ulang=4, jumlah_rujukan=1)
    score = svc(report, [kie])
    assert score.level == 3
    assert score.met[0].evidence == (kie.submission_id,)


def test_pelayanan__two_sources_are_not_added_together():
    report = make_report(jumlah_pelayanan_ulang=5)
    kie = make_kie("konseling", pelayanan_ulang=3)
    assert "2026-10: 5" in svc(report, [kie]).met[0].text_en


def test_pelayanan__no_poktan_or_no_poktan_meeting_stays_berkembang():
    assert svc(profile=make_profile(poktan=["tidak_ada"])).level == 2
    assert svc(profile=make_profile(poktan=None)).level == 2
    assert svc(make_report(pertemuan_poktan=0)).level == 2
    assert svc(make_report(pertemuan_poktan=1)).level == 3


def test_pelayanan__quarter_needs_resupply_every_month():
    reports = [
        make_report("2026-10"),
        make_report("2026-11", jumlah_pelayanan_ulang=0),
        make_report("2026-12"),
    ]
    facts = reports + [make_profile("2026-12")]
    score = assess_imp(IMP, "2026-Q4", facts, RULES).roles["pelayanan"]
    assert score.level == 1
    assert "2026-11: 0" in score.next_tier_missing[0].text_id


# ---------------------------------------------------------------- kemandirian


@pytest.mark.parametrize(
    ("efforts", "expected"),
    [
        (None, 1),
        (["tidak_ada"], 1),
        (["iuran_anggota"], 1),
        (["iuran_anggota", "tidak_ada"], 1),
        (["usaha_ekonomi", "apbdes_csr"], 2),
        (["usaha_ekonomi", "sekretariat"], 3),
        (["kas_arisan", "dana_sehat", "apbdes_csr"], 3),
    ],
)
def test_kemandirian__levels(efforts, expected):
    assert level("kemandirian", [make_profile(upaya_kemandirian=efforts)]) == expected


def test_kemandirian__single_own_funding_effort_is_not_enough():
    # Own funding without a second effort is below the >= 2 count for both tiers.
    score = assess_imp(IMP, "2026-10", [make_profile(upaya_kemandirian=["sekretariat"])], RULES)
    role = score.roles["kemandirian"]
    assert role.level == 1
    assert [c.code for c in role.next_tier_missing] == ["kemandirian.upaya"]


def test_kie__one_weak_role_leaves_other_roles_alone():
    facts = replace(mandiri_month(), "kie_konseling", [make_kie("kie_massa")])
    result = assess_imp(IMP, "2026-10", facts, RULES)
    assert result.roles["kie_konseling"].level == 1
    assert result.roles["pertemuan"].level == 3
