"""THE table: which steps run when a submission of a form is processed or withdrawn.

Read it in one screen to know what a submission sets off (as ODK Central's
`lib/worker/jobs.js` maps events to workers). Processing (`core.usecases.processing`) stores a
submission's facts, then runs the `on_facts` steps of its form; when a version is replaced by an
edit or deleted upstream, it runs the form's `on_retract` steps on the old facts. `AFTER_BATCH`
runs once per unit of work, so a backlog of one IMP's meetings recomputes its tier once;
then the domain events the unit recorded run the `EVENTS` steps (alerts).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.domain.facts import Facts
from core.domain.scoring import FAMILY_FORM, IMP_FORMS
from core.store.models import Fact, Submission
from core.usecases import alerts, assessments, batch_scoring
from core.usecases.assessments import Step

OnFacts = Callable[[Step, Submission, Facts], None]
OnRetract = Callable[[Step, Submission, Fact], None]
AfterBatch = Callable[[Step], object]
OnEvent = Callable[[Step, dict], None]


@dataclass(frozen=True)
class Steps:
    """What runs for one form."""

    on_facts: tuple[OnFacts, ...] = ()
    on_retract: tuple[OnRetract, ...] = ()


IMP_EVIDENCE = Steps(
    on_facts=(assessments.touch_imp_periods,),
    on_retract=(assessments.touch_retracted_imp_periods,),
)

JOBS: dict[str, Steps] = {
    FAMILY_FORM: Steps(
        on_facts=(assessments.assess_family_survey,),
        on_retract=(assessments.withdraw_family_survey,),
    ),
    **{form: IMP_EVIDENCE for form in IMP_FORMS},
}

AFTER_BATCH: tuple[AfterBatch, ...] = (batch_scoring.rescore_touched_imps,)

# Domain events (recorded in `domain_events`) and the steps that react to them, in the same
# unit of work: an alert and its deliveries commit with the finding that caused them.
EVENTS: dict[str, tuple[OnEvent, ...]] = {
    "family_assessed": (alerts.alert_family,),
    "family_withdrawn": (alerts.alert_family,),
    "imp_tier_changed": (alerts.alert_tier_change,),
}

# Events their kind's steps are known to leave alone, told from the payload: recorded as
# handled without a savepoint or a step (a district's first re-score makes ~30,000 first tiers,
# and a savepoint each was 7% of it).
LEFT_ALONE: dict[str, Callable[[dict], bool]] = {"imp_tier_changed": alerts.first_tier}

NOTHING = Steps()


def steps_for(form_id: str | None) -> Steps:
    """The steps of a form (none for a form nothing reacts to)."""
    return JOBS.get(form_id or "", NOTHING)
