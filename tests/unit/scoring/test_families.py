"""KRS: target family, each factor alone and combined, switches in the rules file."""

import json
import tomllib
from datetime import date

import pytest

from core.domain.scoring.errors import RulesError, ScoringError
from core.domain.scoring.families import (
    assess_family,
    load_krs_rules,
)
from tests.unit.scoring.builders import (
    ROOT,
    SURVEY_DAY,
    YOUNGEST,
    make_child,
    make_family,
    make_meeting,
    months_before,
    utc,
    write_modified_rules,
    years_before,
)

RULES = load_krs_rules()
CORE_FACTORS = [
    "air_tidak_layak",
    "jamban_tidak_layak",
    "istri_terlalu_muda",
    "istri_terlalu_tua",
    "jarak_terlalu_dekat",
    "anak_terlalu_banyak",
    "tidak_kb_modern",
]


def true_factors(result):
    return sorted(name for name, value in result.factors.items() if value)


def test_baseline_family__is_target_without_any_factor():
    result = assess_family(make_family(), RULES)
    # The 3-year-old makes it a balita family too.
    assert result.target and result.target_groups == ["pus", "balita"]
    assert result.krs is False
    assert list(result.factors) == CORE_FACTORS
    assert true_factors(result) == []


@pytest.mark.parametrize(
    ("overrides", "factor"),
    [
        ({"sumber_air": "sungai"}, "air_tidak_layak"),
        ({"sumber_air": "sumur_tidak_terlindung"}, "air_tidak_layak"),
        ({"sumber_air": "lainnya"}, "air_tidak_layak"),
        ({"jamban": "tanpa_septik"}, "jamban_tidak_layak"),
        ({"jamban": "tidak_ada"}, "jamban_tidak_layak"),
        ({"tgl_lahir_istri": years_before(SURVEY_DAY, 20, days=-1)}, "istri_terlalu_muda"),
        ({"tgl_lahir_istri": years_before(SURVEY_DAY, 36)}, "istri_terlalu_tua"),
        # The youngest (3 years old) was born 23 months after the child before it.
        (
            {"tgl_lahir_anak_sebelum_bungsu": months_before(YOUNGEST, 23)},
            "jarak_terlalu_dekat",
        ),
        ({"jumlah_anak_hidup": 4}, "anak_terlalu_banyak"),
        ({"kb_metode": "tidak_ada"}, "tidak_kb_modern"),
        ({"kb_metode": "tradisional"}, "tidak_kb_modern"),
    ],
)
def test_each_factor_alone__flags_krs(overrides, factor):
    result = assess_family(make_family(**overrides), RULES)
    assert true_factors(result) == [factor]
    assert result.krs is True


@pytest.mark.parametrize(
    "overrides",
    [
        {"sumber_air": "sumur_bor"},
        {"sumber_air": "air_hujan"},
        {"sumber_air": "kemasan"},
        # Exactly 20 on the survey day is no longer too young; exactly 35 is not yet too old.
        {"tgl_lahir_istri": years_before(SURVEY_DAY, 20)},
        {"tgl_lahir_istri": years_before(SURVEY_DAY, 36, days=-1)},
        # Youngest child exactly 24 months old: not too close.
        {"tgl_lahir_anak_bungsu": months_before(SURVEY_DAY, 24), "anak": None},
        # Births exactly 24 months apart: not too close.
        {"tgl_lahir_anak_sebelum_bungsu": months_before(YOUNGEST, 24)},
        # A first child under two, no pregnancy: not a risk by itself.
        {
            "jumlah_anak_hidup": 1,
            "tgl_lahir_anak_bungsu": months_before(SURVEY_DAY, 5),
            "anak": None,
        },
        {"jumlah_anak_hidup": 3},
        {"kb_metode": "implan"},
        {"kb_metode": "mop"},
    ],
)
def test_each_factor__just_inside_the_safe_side_is_not_flagged(overrides):
    result = assess_family(make_family(**overrides), RULES)
    assert true_factors(result) == []
    assert result.krs is False


def test_factors_combined__each_is_kept_with_its_answers():
    result = assess_family(
        make_family(
            sumber_air="sungai",
            jamban="tidak_ada",
            jumlah_anak_hidup=5,
            kb_metode="tidak_ada",
            tgl_lahir_istri=years_before(SURVEY_DAY, 38),
        ),
        RULES,
    )
    assert true_factors(result) == [
        "air_tidak_layak",
        "anak_terlalu_banyak",
        "istri_terlalu_tua",
        "jamban_tidak_layak",
        "tidak_kb_modern",
    ]
    assert result.krs
    d = result.factor_details
    assert d["air_tidak_layak"]["sumber_air"] == "sungai"
    assert d["jamban_tidak_layak"]["jamban"] == "tidak_ada"
    assert d["anak_terlalu_banyak"] == {"jumlah_anak_hidup": 5, "aturan": "> 3", "pus": True}
    assert d["istri_terlalu_tua"]["umur_istri"] == 38
    assert d["tidak_kb_modern"]["kb_metode"] == "tidak_ada"


def test_non_target_family__is_never_krs():
    # Wife 52, children grown up, not pregnant: every risk answer is bad, still not a target.
    result = assess_family(
        make_family(
            tgl_lahir_istri=years_before(SURVEY_DAY, 52),
            tgl_lahir_anak_bungsu=years_before(SURVEY_DAY, 14),
            anak=[],
            sumber_air="sungai",
            jamban="tidak_ada",
            jumlah_anak_hidup=6,
            kb_metode="tidak_ada",
        ),
        RULES,
    )
    assert result.target is False and result.target_groups == []
    assert result.factors["air_tidak_layak"] is True
    assert result.krs is False


def test_target_groups__baduta_and_balita_boundaries_from_children():
    grandma = {"tgl_lahir_istri": years_before(SURVEY_DAY, 55), "tgl_lahir_anak_bungsu": None}
    at_23 = make_family(**grandma, anak=[make_child(tgl_lahir_anak=months_before(SURVEY_DAY, 23))])
    assert assess_family(at_23, RULES).target_groups == ["baduta"]
    at_24 = make_family(**grandma, anak=[make_child(tgl_lahir_anak=months_before(SURVEY_DAY, 24))])
    assert assess_family(at_24, RULES).target_groups == ["balita"]
    at_60 = make_family(**grandma, anak=[make_child(tgl_lahir_anak=months_before(SURVEY_DAY, 60))])
    assert assess_family(at_60, RULES).target is False


def test_target_groups__pus_age_bounds():
    at_49 = make_family(tgl_lahir_istri=years_before(SURVEY_DAY, 50, days=-1))
    assert "pus" in assess_family(at_49, RULES).target_groups
    at_50 = make_family(tgl_lahir_istri=years_before(SURVEY_DAY, 50), anak=[])
    assert "pus" not in assess_family(at_50, RULES).target_groups


def test_couple_factors__do_not_count_for_a_wife_past_reproductive_age():
    # Grandmother raising a balita: target via the child, but her KB use is not a risk factor.
    result = assess_family(
        make_family(
            tgl_lahir_istri=years_before(SURVEY_DAY, 54),
            kb_metode="tidak_ada",
            jumlah_anak_hidup=5,
            anak=[make_child(tgl_lahir_anak=months_before(SURVEY_DAY, 30))],
        ),
        RULES,
    )
    assert result.target and result.target_groups == ["balita"]
    assert result.factors["tidak_kb_modern"] is False
    assert result.factors["anak_terlalu_banyak"] is False
    assert result.factors["istri_terlalu_tua"] is False
    assert result.factor_details["tidak_kb_modern"]["pus"] is False


def test_pregnant_girl_under_pus_age__is_target_and_too_young():
    result = assess_family(
        make_family(
            tgl_lahir_istri=years_before(SURVEY_DAY, 15, days=-1),
            hamil="ya",
            jumlah_anak_hidup=0,
            tgl_lahir_anak_bungsu=None,
            anak=[],
            kb_metode="tidak_ada",
        ),
        RULES,
    )
    assert result.target_groups == ["ibu_hamil"]
    assert true_factors(result) == ["istri_terlalu_muda"]
    assert result.pregnancy["terlalu"] == ["istri_terlalu_muda"]


def test_tidak_kb_modern__pregnant_wife_exempt_unless_switched_off(tmp_path):
    family = make_family(hamil="ya", kb_metode="tidak_ada", lila_cm=25.0, hb=12.5)
    assert assess_family(family, RULES).factors["tidak_kb_modern"] is False
    path = write_modified_rules(
        "krs.toml", tmp_path / "krs.toml", "pregnant_exempt = true", "pregnant_exempt = false"
    )
    assert assess_family(family, load_krs_rules(path)).factors["tidak_kb_modern"] is True


def test_tidak_kb_modern__unanswered_method_is_not_evidence_of_non_use():
    result = assess_family(make_family(kb_metode=None), RULES)
    assert result.factors["tidak_kb_modern"] is False
    assert result.factor_details["tidak_kb_modern"]["kb_metode"] is None


def test_anak_terlalu_banyak__greater_or_equal_switch(tmp_path):
    three = make_family(jumlah_anak_hidup=3)
    assert assess_family(three, RULES).factors["anak_terlalu_banyak"] is False
    path = write_modified_rules(
        "krs.toml", tmp_path / "krs.toml", 'operator = ">"', 'operator = ">="'
    )
    rules = load_krs_rules(path)
    assert assess_family(three, rules).factors["anak_terlalu_banyak"] is True
    assert assess_family(make_family(jumlah_anak_hidup=2), rules).krs is False


def test_survey_date__falls_back_to_submission_day_in_wib():
    # Born 2006-10-02: 20 on 2026-10-02. 17:30 UTC on 10-01 is already 10-02 in WIB.
    family = make_family(
        today=None, tgl_lahir_istri=date(2006, 10, 2), submitted_at=utc(2026, 10, 1, 17, 30)
    )
    result = assess_family(family, RULES)
    assert result.survey_date == date(2026, 10, 2)
    assert result.factors["istri_terlalu_muda"] is False
    earlier = make_family(
        today=None, tgl_lahir_istri=date(2006, 10, 2), submitted_at=utc(2026, 10, 1, 16, 59)
    )
    assert assess_family(earlier, RULES).factors["istri_terlalu_muda"] is True


# ---------------------------------------------------------------- optional factors


def test_optional_factors__off_by_default():
    poor = make_family(
        desil_kesejahteraan=1, luas_lantai_m2=12.0, atap_layak="tidak", pendidikan_ibu="sd"
    )
    result = assess_family(poor, RULES)
    assert "desil_rendah" not in result.factors
    assert "rumah_tidak_layak" not in result.factors
    assert "pendidikan_ibu_rendah" not in result.factors
    assert result.krs is False


def enable_all_optional(tmp_path):
    """The shipped rules with the three optional factors switched on."""
    path = tmp_path / "krs.toml"
    write_modified_rules(
        "krs.toml",
        path,
        "[factors.desil_rendah]\nenabled = false",
        "[factors.desil_rendah]\nenabled = true",
    )
    text = path.read_text(encoding="utf-8")
    for name in ("rumah_tidak_layak", "pendidikan_ibu_rendah"):
        off, on = f"[factors.{name}]\nenabled = false", f"[factors.{name}]\nenabled = true"
        assert text.count(off) == 1
        text = text.replace(off, on)
    path.write_text(text, encoding="utf-8")
    return load_krs_rules(path)


@pytest.mark.parametrize(
    ("overrides", "factor"),
    [
        ({"desil_kesejahteraan": 2}, "desil_rendah"),
        # 28 m2 for 4 people = 7.0 m2 each, below 7.2.
        ({"luas_lantai_m2": 28.0}, "rumah_tidak_layak"),
        ({"lantai_layak": "tidak"}, "rumah_tidak_layak"),
        ({"pendidikan_ibu": "tidak_sekolah"}, "pendidikan_ibu_rendah"),
    ],
)
def test_optional_factors__count_when_enabled(tmp_path, overrides, factor):
    rules = enable_all_optional(tmp_path)
    result = assess_family(make_family(**overrides), rules)
    assert true_factors(result) == [factor]
    assert result.krs


@pytest.mark.parametrize(
    "overrides",
    [
        {"desil_kesejahteraan": 3},
        {"desil_kesejahteraan": None},
        {"luas_lantai_m2": 28.8},  # exactly 7.2 m2 each
        {"luas_lantai_m2": None},
        {"pendidikan_ibu": "smp"},
    ],
)
def test_optional_factors__just_inside_the_safe_side(tmp_path, overrides):
    rules = enable_all_optional(tmp_path)
    result = assess_family(make_family(**overrides), rules)
    assert true_factors(result) == []
    assert set(result.factors) == set(CORE_FACTORS) | {
        "desil_rendah",
        "rumah_tidak_layak",
        "pendidikan_ibu_rendah",
    }


def test_rumah_tidak_layak__details_show_area_and_parts(tmp_path):
    rules = enable_all_optional(tmp_path)
    result = assess_family(make_family(luas_lantai_m2=20.0, atap_layak="tidak"), rules)
    detail = result.factor_details["rumah_tidak_layak"]
    assert detail["m2_per_orang"] == 5.0
    assert detail["tidak_layak"] == ["atap_layak"]


# ---------------------------------------------------------------- pregnancy


@pytest.mark.parametrize(
    ("lila", "hb", "kek", "anemia"),
    [
        (23.4, 10.9, True, True),
        # Hb 11.0 is not anaemia in pregnancy (WHO); 12 is the cut-off for a catin only.
        (23.5, 11.0, False, False),
        (23.5, 11.9, False, False),
        (None, None, None, None),
    ],
)
def test_pregnancy__kek_and_anaemia_thresholds(lila, hb, kek, anemia):
    result = assess_family(
        make_family(hamil="ya", usia_kehamilan_bulan=5, lila_cm=lila, hb=hb), RULES
    )
    assert result.pregnancy["kek"] is kek
    assert result.pregnancy["anemia"] is anemia
    assert result.pregnancy["usia_kehamilan_bulan"] == 5
    assert "ibu_hamil" in result.target_groups


def test_pregnancy__anaemia_threshold_from_rules_file(tmp_path):
    family = make_family(hamil="ya", hb=11.2)
    assert assess_family(family, RULES).pregnancy["anemia"] is False
    path = write_modified_rules(
        "krs.toml", tmp_path / "krs.toml", "hb_anemia_below = 11.0", "hb_anemia_below = 11.5"
    )
    assert assess_family(family, load_krs_rules(path)).pregnancy["anemia"] is True


def test_pregnancy__absent_when_not_pregnant():
    assert assess_family(make_family(), RULES).pregnancy is None


# ---------------------------------------------------------------- output and rules


def test_to_dict__is_json_and_never_contains_the_kk_number():
    family = make_family(sumber_air="sungai")
    result = assess_family(family, RULES, family="kel_0123456789abcdef0123")
    text = json.dumps(result.to_dict())
    assert family.get("no_kk") not in text
    out = json.loads(text)
    assert out["family"] == "kel_0123456789abcdef0123"
    assert out["desa"] == "32.77.01.1001"
    assert out["krs"] is True and out["factors"]["air_tidak_layak"] is True
    assert set(out["children"][0]) >= {"age_days", "haz", "category"}
    assert out["rules_version"] == "2026.3"


def test_assess_family__refuses_another_form():
    with pytest.raises(ScoringError, match="keluarga_risiko"):
        assess_family(make_meeting(), RULES)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('operator = ">"', 'operator = "=>"', "factors.anak_terlalu_banyak.operator"),
        (
            "[factors.desil_rendah]\nenabled = false",
            "[factors.desil_rendah]\nenable = false",
            "enabled",
        ),
        ("max_decile = 2", "max_decile = 11", "factors.desil_rendah.max_decile"),
        ("pendek_below = -2.0", "pendek_below = -3.5", "sangat_pendek_below"),
        ('building_parts = ["atap_layak",', 'building_parts = ["atap",', "building_parts"),
        ('"tidak_kb_modern",\n]', '"tidak_kb_moderen",\n]', "pus_only_factors"),
    ],
)
def test_rules__bad_krs_file_is_refused_naming_the_key(tmp_path, old, new, message):
    path = write_modified_rules("krs.toml", tmp_path / "krs.toml", old, new)
    with pytest.raises(RulesError, match=message):
        load_krs_rules(path)


def test_rules__krs_choice_lists_use_names_from_the_form_contract():
    contract = tomllib.loads((ROOT / "xlsforms" / "contract.toml").read_text(encoding="utf-8"))
    fields = contract["forms"]["keluarga_risiko"]["fields"]
    assert set(RULES.safe_sources) <= set(fields["sumber_air"]["choices"])
    assert set(RULES.proper_latrines) <= set(fields["jamban"]["choices"])
    assert set(RULES.modern_methods) <= set(fields["kb_metode"]["choices"])
    assert set(RULES.low_education) <= set(fields["pendidikan_ibu"]["choices"])
    assert set(RULES.building_parts) <= set(fields)
