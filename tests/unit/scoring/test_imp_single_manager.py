"""A PPKBD may be Berkembang with a single manager (guideline exception), per the rubric."""

import pytest

from core.domain.scoring.imp import assess_imp, load_imp_rules
from tests.unit.scoring.builders import IMP, make_profile, write_modified_rules

RULES = load_imp_rules()
SINGLE = {"kepengurusan": "tunggal", "ada_seksi": "tidak", "ada_sk": "tidak"}


def _organisation(imp_kind, rules=RULES, **overrides):
    profile = make_profile(**{**SINGLE, **overrides})
    result = assess_imp(IMP, "2026-10", [profile], rules, imp_kind=imp_kind)
    return result.roles["pengorganisasian"]


def test_ppkbd_with_a_single_manager__is_berkembang_and_says_the_exception_applied():
    score = _organisation("ppkbd")
    assert score.level == 2
    (management,) = [c for c in score.met if c.code == "pengorganisasian.kepengurusan"]
    assert "pengecualian pedoman" in management.text_id and "PPKBD" in management.text_id
    assert "exception" in management.text_en


@pytest.mark.parametrize(
    ("imp_kind", "shown"), [("sub_ppkbd", "Sub-PPKBD"), (None, "not registered")]
)
def test_other_kinds_or_unregistered_with_a_single_manager__stay_dasar_and_say_why(imp_kind, shown):
    score = _organisation(imp_kind)
    assert score.level == 1
    (management,) = [c for c in score.not_met if c.code == "pengorganisasian.kepengurusan"]
    assert "only for PPKBD" in management.text_en and shown in management.text_en
    assert management in score.next_tier_missing


def test_ppkbd_single_manager_still_needs_the_other_berkembang_criteria():
    assert _organisation("ppkbd", pembagian_tugas_tertulis="tidak").level == 1


def test_exception_is_a_rubric_setting(tmp_path):
    path = write_modified_rules(
        "imp_rubric.toml",
        tmp_path / "r.toml",
        'single_manager_kinds = ["ppkbd"]',
        "single_manager_kinds = []",
    )
    assert _organisation("ppkbd", rules=load_imp_rules(path)).level == 1
    wider = write_modified_rules(
        "imp_rubric.toml",
        tmp_path / "w.toml",
        'single_manager_kinds = ["ppkbd"]',
        'single_manager_kinds = ["ppkbd", "sub_ppkbd"]',
    )
    assert _organisation("sub_ppkbd", rules=load_imp_rules(wider)).level == 2


def test_unknown_kind_in_the_rubric_is_refused(tmp_path):
    from core.domain.scoring.errors import RulesError

    path = write_modified_rules(
        "imp_rubric.toml",
        tmp_path / "bad.toml",
        'single_manager_kinds = ["ppkbd"]',
        'single_manager_kinds = ["pkbd"]',
    )
    with pytest.raises(RulesError, match="single_manager_kinds"):
        load_imp_rules(path)


def test_collective_management_does_not_depend_on_the_kind():
    for imp_kind in ("ppkbd", "sub_ppkbd", "kelompok_kb", None):
        assert _organisation(imp_kind, kepengurusan="kolektif").level == 2
