"""Births too close: a spacing between two births (or the youngest and the expected delivery)."""

from datetime import date

import pytest

from core.domain.scoring.families import assess_family, load_krs_rules
from core.domain.scoring.families.spacing import add_months
from tests.unit.scoring.builders import (
    SURVEY_DAY,
    YOUNGEST,
    make_child,
    make_family,
    months_before,
    write_modified_rules,
    years_before,
)

RULES = load_krs_rules()


def _spacing(**overrides):
    result = assess_family(make_family(**overrides), RULES)
    return result.factors["jarak_terlalu_dekat"], result.factor_details["jarak_terlalu_dekat"]


def _baby(months: int) -> dict:
    return make_child(tgl_lahir_anak=months_before(SURVEY_DAY, months), tgl_ukur=SURVEY_DAY)


def test_stated_birth_before_the_youngest__23_months_apart_is_too_close_and_explained():
    flagged, d = _spacing(tgl_lahir_anak_sebelum_bungsu=date(2021, 10, 1))
    assert flagged is True
    assert d["dasar"] == "kelahiran"
    assert (d["kelahiran_sebelumnya"], d["kelahiran_berikutnya"]) == ("2021-10-01", "2023-09-01")
    assert (d["jarak_bulan"], d["batas_bulan"]) == (23, 24)
    assert d["sumber_jarak"] == "tgl_lahir_anak_sebelum_bungsu"
    assert d["tgl_lahir_anak_bungsu"] == "2023-09-01"
    assert d["sumber_bungsu"] == "tgl_lahir_anak_bungsu"
    assert "2021-10-01" in d["keterangan_id"] and "23 bulan" in d["keterangan_id"]
    assert "terlalu dekat" in d["keterangan_id"]
    assert "23 months" in d["keterangan_en"] and "too close" in d["keterangan_en"]


def test_jarak_terlalu_dekat__two_youngest_of_the_repeat_when_no_stated_dates():
    # 11 and 28 months old: born 17 months apart. (The rule used to flag any youngest child
    # under 24 months; a spacing needs two births.)
    young = make_child(tgl_lahir_anak=months_before(SURVEY_DAY, 11), tgl_ukur=SURVEY_DAY)
    elder = make_child(tgl_lahir_anak=months_before(SURVEY_DAY, 28), tgl_ukur=SURVEY_DAY)
    result = assess_family(
        make_family(tgl_lahir_anak_bungsu=None, anak=[make_child(), elder, young]), RULES
    )
    assert result.factors["jarak_terlalu_dekat"] is True
    details = result.factor_details["jarak_terlalu_dekat"]
    assert details["umur_bungsu_bulan"] == 11
    assert (details["jarak_bulan"], details["sumber_jarak"]) == (17, "anak")
    assert result.target_groups == ["pus", "baduta", "balita"]


def test_first_child_under_two_without_pregnancy__is_never_too_close():
    flagged, d = _spacing(
        jumlah_anak_hidup=1, tgl_lahir_anak_bungsu=months_before(SURVEY_DAY, 3), anak=[_baby(3)]
    )
    assert flagged is False
    assert d["umur_bungsu_bulan"] == 3 and d["jarak_bulan"] is None
    assert d["keterangan_id"].startswith("Anak pertama")
    assert "never too close" in d["keterangan_en"]


def test_baby_with_a_sibling_of_unknown_birth_date__is_not_flagged_and_says_what_is_missing():
    flagged, d = _spacing(tgl_lahir_anak_bungsu=months_before(SURVEY_DAY, 3), anak=[_baby(3)])
    assert flagged is False
    assert d["jarak_bulan"] is None
    assert "tgl_lahir_anak_sebelum_bungsu" in d["keterangan_id"]
    assert "cannot be judged" in d["keterangan_en"]


def test_stated_answer_wins_over_the_repeat():
    # The repeat holds two births 17 months apart, the answer says 30 months before the youngest.
    flagged, d = _spacing(
        tgl_lahir_anak_bungsu=months_before(SURVEY_DAY, 11),
        tgl_lahir_anak_sebelum_bungsu=months_before(SURVEY_DAY, 41),
        anak=[_baby(28), _baby(11)],
    )
    assert flagged is False
    assert (d["jarak_bulan"], d["sumber_jarak"]) == (30, "tgl_lahir_anak_sebelum_bungsu")


def test_repeat_twins_are_one_birth_and_the_two_youngest_births_are_judged():
    flagged, d = _spacing(
        tgl_lahir_anak_bungsu=None,
        jumlah_anak_hidup=3,
        anak=[_baby(30), _baby(10), _baby(10)],
    )
    assert flagged is True
    assert (d["jarak_bulan"], d["sumber_jarak"]) == (20, "anak")
    assert "dua anak termuda" in d["keterangan_id"]


def test_stated_birth_after_the_youngest__is_ignored_with_the_reason():
    flagged, d = _spacing(tgl_lahir_anak_sebelum_bungsu=date(2024, 1, 1))
    assert flagged is False
    assert d["tgl_lahir_anak_sebelum_bungsu"] == "2024-01-01"
    assert d["keterangan_id"].startswith("Jawaban tgl_lahir_anak_sebelum_bungsu (2024-01-01)")
    assert "after the youngest's birth" in d["keterangan_en"]


def test_stated_twin_date__is_one_birth_not_a_spacing_of_zero():
    flagged, d = _spacing(tgl_lahir_anak_sebelum_bungsu=YOUNGEST)
    assert flagged is False
    assert "kembar" in d["keterangan_id"] and "twins" in d["keterangan_en"]


@pytest.mark.parametrize(
    ("youngest_months", "pregnant_for", "expected", "apart", "flagged"),
    [
        # Survey 2026-10-01: 5 months pregnant -> delivery 4 months on, 2027-02-01.
        (10, 5, "2027-02-01", 14, True),
        (15, 0 + 1, "2027-06-01", 23, True),
        (16, 1, "2027-06-01", 24, False),
        # 10 months (past term): due now, clamped to the survey date.
        (20, 10, "2026-10-01", 20, True),
    ],
)
def test_pregnancy__youngest_birth_to_expected_delivery(
    youngest_months, pregnant_for, expected, apart, flagged
):
    got, d = _spacing(
        hamil="ya",
        usia_kehamilan_bulan=pregnant_for,
        kb_metode=None,
        tgl_lahir_anak_bungsu=months_before(SURVEY_DAY, youngest_months),
        anak=[_baby(youngest_months)],
    )
    assert got is flagged
    assert d["dasar"] == "kehamilan"
    assert (d["perkiraan_persalinan"], d["jarak_bulan"]) == (expected, apart)
    assert d["usia_kehamilan_bulan"] == pregnant_for
    assert d["sumber_jarak"] == "usia_kehamilan_bulan"
    assert expected in d["keterangan_id"] and "Expected delivery" in d["keterangan_en"]


def test_pregnancy__judges_the_coming_birth_not_an_old_close_pair():
    # Two births 12 months apart long ago; the youngest is 3 and the new baby is due in 3 months.
    flagged, d = _spacing(
        hamil="ya",
        usia_kehamilan_bulan=6,
        kb_metode=None,
        tgl_lahir_anak_sebelum_bungsu=months_before(YOUNGEST, 12),
    )
    assert flagged is False
    assert d["dasar"] == "kehamilan" and d["jarak_bulan"] == 40


def test_pregnancy__first_pregnancy_is_never_too_close():
    flagged, d = _spacing(
        hamil="ya",
        usia_kehamilan_bulan=3,
        kb_metode=None,
        jumlah_anak_hidup=0,
        tgl_lahir_anak_bungsu=None,
        anak=None,
    )
    assert flagged is False
    assert d["keterangan_id"].startswith("Kehamilan pertama")


def test_pregnancy__unanswered_months_assume_the_latest_delivery():
    flagged, d = _spacing(
        hamil="ya", kb_metode=None, tgl_lahir_anak_bungsu=months_before(SURVEY_DAY, 10)
    )
    assert flagged is True
    assert (d["perkiraan_persalinan"], d["jarak_bulan"]) == ("2027-07-01", 19)
    assert "tidak diisi" in d["keterangan_id"]


def test_pregnancy__close_spacing_is_one_of_the_four_terlalu_of_the_pregnancy():
    result = assess_family(
        make_family(
            hamil="ya",
            usia_kehamilan_bulan=5,
            kb_metode=None,
            tgl_lahir_anak_bungsu=months_before(SURVEY_DAY, 10),
            anak=[_baby(10)],
        ),
        RULES,
    )
    assert result.krs is True
    assert result.pregnancy["terlalu"] == ["jarak_terlalu_dekat"]


def test_threshold_comes_from_the_rules_file(tmp_path):
    family = make_family(tgl_lahir_anak_sebelum_bungsu=months_before(YOUNGEST, 20))
    assert assess_family(family, RULES).factors["jarak_terlalu_dekat"] is True
    path = write_modified_rules(
        "krs.toml", tmp_path / "krs.toml", "below_months = 24", "below_months = 18"
    )
    result = assess_family(family, load_krs_rules(path))
    assert result.factors["jarak_terlalu_dekat"] is False
    assert result.factor_details["jarak_terlalu_dekat"]["batas_bulan"] == 18


def test_close_births_do_not_count_for_a_wife_past_reproductive_age():
    result = assess_family(
        make_family(
            tgl_lahir_istri=years_before(SURVEY_DAY, 51),
            tgl_lahir_anak_sebelum_bungsu=months_before(YOUNGEST, 12),
        ),
        RULES,
    )
    assert result.factors["jarak_terlalu_dekat"] is False
    assert result.factor_details["jarak_terlalu_dekat"]["jarak_bulan"] == 12


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 10, 1), 4, date(2027, 2, 1)),
        (date(2026, 12, 15), 0, date(2026, 12, 15)),
        (date(2027, 11, 30), 3, date(2028, 2, 29)),
    ],
)
def test_add_months__keeps_the_day_or_the_months_last_day(day, months, expected):
    assert add_months(day, months) == expected
