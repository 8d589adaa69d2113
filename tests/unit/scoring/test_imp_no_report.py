"""An IMP with no submission in a period is still rated, and the rating says why."""

from core.domain.scoring.imp import assess_imp, load_imp_rules
from tests.unit.scoring.builders import IMP, SUB_IMP, make_meeting, make_profile

RULES = load_imp_rules()
NO_REPORT = (
    "Tidak ada laporan yang diterima pada periode ini",
    "No report received in this period",
)


def _notes(result):
    return [(n["text_id"], n["text_en"]) for n in result.explain()["notes"]]


def test_no_submission__dasar_with_the_no_report_note():
    result = assess_imp(IMP, "2026-10", [], RULES)
    assert result.tier == "dasar"
    assert _notes(result) == [NO_REPORT]
    assert all(score.no_evidence for score in result.roles.values())


def test_an_earlier_profile_is_evidence_but_not_a_report_of_this_period():
    result = assess_imp(IMP, "2026-10", [make_profile("2026-08")], RULES)
    assert result.roles["pengorganisasian"].level == 3
    assert result.tier == "dasar"
    assert _notes(result) == [NO_REPORT]


def test_a_report_of_the_period__own_or_rolled_up__means_no_note():
    assert _notes(assess_imp(IMP, "2026-10", [make_meeting()], RULES)) == []
    child = make_meeting(imp=SUB_IMP)
    assert _notes(assess_imp(IMP, "2026-10", [], RULES, child_facts=[child])) == []
    # A meeting of another month is no report of this one.
    assert _notes(assess_imp(IMP, "2026-11", [make_meeting()], RULES)) == [NO_REPORT]
