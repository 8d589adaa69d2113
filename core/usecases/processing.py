"""Process a stored submission exactly once: its facts, then the steps `jobs.JOBS` names."""

from __future__ import annotations

import logging
from typing import Literal

from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import Session

from core.domain.errors import PantauError
from core.domain.facts import FactsError
from core.domain.privacy import blank_numbers
from core.domain.rules import Rules
from core.store.db import TRANSIENT
from core.store.facts import claim, facts_of, facts_rows_of, replace_facts
from core.store.models import Fact, Submission, utcnow
from core.store.scores import NEW_EVENTS, new_events, store_events
from core.store.versions import other_version_ids
from core.usecases.assessments import Step
from core.usecases.jobs import AFTER_BATCH, EVENTS, LEFT_ALONE, steps_for

log = logging.getLogger("pantau.processing")

Outcome = Literal["processed", "failed", "skipped"]


def _retract(step: Step, facts_rows: list[Fact]) -> int:
    for old in facts_rows:
        old_submission = step.session.get(Submission, old.submission_id)
        for retract in steps_for(old.form_id).on_retract:
            retract(step, old_submission, old)
        step.session.delete(old)
    return len(facts_rows)


def process_submission(session: Session, submission_id: int, rules: Rules) -> Outcome:
    """Turn one stored submission into facts and run its form's steps, once. Does not commit."""
    outcomes = _process(session, [submission_id], rules)
    finish_batch(session, rules)
    return outcomes.get(submission_id, "skipped")


def process_batch(session: Session, submission_ids: list[int], rules: Rules) -> int:
    """Process several submissions in one unit of work; return how many were processed."""
    done = len(_process(session, submission_ids, rules))
    finish_batch(session, rules)
    return done


def _process(session: Session, submission_ids: list[int], rules: Rules) -> dict[int, Outcome]:
    """Claim what is still waiting among submission_ids, then process each, in their order.

    The claim and the look-up of other versions are one statement each for the whole unit of
    work; what each submission does after them is its own (a savepoint each).
    """
    claimed = {s.id: s for s in claim(session, submission_ids)}
    others = other_version_ids(session, list(claimed.values()))
    step = Step(session, rules)
    outcomes: dict[int, Outcome] = {}
    for sid in submission_ids:
        if sid in claimed and sid not in outcomes:
            outcomes[sid] = _process_claimed(step, claimed[sid], others[sid])
    return outcomes


def _process_claimed(step: Step, submission: Submission, other_ids: list[int]) -> Outcome:
    # Results of other versions go first, whatever happens to this one: downstream must
    # follow the current version even when it turns out to be unusable.
    if other_ids:
        _retract(step, facts_rows_of(step.session, other_ids))
    events = new_events(step.session)
    recorded = len(events)
    try:
        with step.session.begin_nested():
            _store_facts_and_run(step, submission)
        return "processed"
    except FactsError as exc:
        # A conversion failure will fail the same way next time: record it, do not retry.
        reason = str(exc)
    except TRANSIENT:
        raise  # the database is busy or away: the whole unit of work is retried later
    except PantauError as exc:
        if exc.retryable:
            raise
        reason = f"{exc.__class__.__name__}: {exc}"
    except Exception as exc:
        log.exception(
            "submission %s failed unexpectedly",
            submission.id,
            extra={"submission_id": submission.id},
        )
        reason = f"unexpected error: {describe(exc)}"
    del events[recorded:]  # the events of steps that were rolled back report nothing
    return _fail(submission, reason)


def _store_facts_and_run(step: Step, submission: Submission) -> None:
    facts = facts_of(submission)
    replace_facts(step.session, facts)
    for run in steps_for(facts.form).on_facts:
        run(step, submission, facts)


def finish_batch(session: Session, rules: Rules) -> None:
    """Run the once-per-unit-of-work steps (recompute what the batch touched), then events."""
    step = Step(session, rules)
    for run in AFTER_BATCH:
        run(step)
    dispatch_events(step)


def dispatch_events(step: Step) -> int:
    """Run the `EVENTS` steps of every domain event this unit of work recorded; store them."""
    handled = 0
    while events := step.session.info.pop(NEW_EVENTS, []):
        for event in events:
            left_alone = LEFT_ALONE.get(event.kind)
            if left_alone is not None and left_alone(event.payload):
                event.handled_at = utcnow()
                handled += 1
                continue
            try:
                with step.session.begin_nested():
                    for run in EVENTS.get(event.kind, ()):
                        run(step, event.payload)
            except TRANSIENT:
                raise
            except Exception as exc:
                # The event stays unhandled (handled_at empty) with the reason, for a rerun.
                log.exception("event (%s) failed", event.kind)
                event.payload = {**event.payload, "error": f"{exc.__class__.__name__}"}
                continue
            event.handled_at = utcnow()
            handled += 1
        store_events(step.session, events)
    step.session.flush()
    return handled


def describe(exc: BaseException) -> str:
    """An error as it may be stored and logged: a database's own text is never kept.

    A driver's message can quote the failing row (PostgreSQL's DETAIL), answers included.
    """
    if isinstance(exc, DBAPIError):
        return f"{exc.__class__.__name__} ({exc.orig.__class__.__name__}) from the database"
    if isinstance(exc, SQLAlchemyError):
        return exc.__class__.__name__
    return f"{exc.__class__.__name__}: {exc}"


def _fail(submission: Submission, reason: str) -> Outcome:
    reason = blank_numbers(reason)
    submission.status = "failed"
    submission.error = reason[:2000]
    log.warning(
        "submission %s failed: %s",
        submission.id,
        reason,
        extra={"submission_id": submission.id},
    )
    return "failed"


def retract_deleted(session: Session, submission_ids: list[int], rules: Rules) -> int:
    """Withdraw the facts of submissions deleted upstream; return how many facts went."""
    n = _retract(Step(session, rules), facts_rows_of(session, submission_ids))
    finish_batch(session, rules)
    return n
