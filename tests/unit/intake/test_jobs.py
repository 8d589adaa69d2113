"""The jobs table names a step for every form the contract knows, and nothing else."""

from __future__ import annotations

from core.domain.forms.contract import load_contract
from core.domain.scoring import FAMILY_FORM, IMP_FORMS
from core.usecases.jobs import JOBS, steps_for


def test_jobs__every_form_of_the_contract_has_steps():
    assert set(JOBS) == set(load_contract().forms)


def test_jobs__imp_forms_touch_tiers_and_the_family_form_scores_the_family():
    for form in IMP_FORMS:
        assert [s.__name__ for s in steps_for(form).on_facts] == ["touch_imp_periods"]
    assert [s.__name__ for s in steps_for(FAMILY_FORM).on_retract] == ["withdraw_family_survey"]


def test_jobs__an_unknown_form_runs_nothing():
    assert steps_for("no_such_form").on_facts == () and steps_for(None).on_retract == ()
