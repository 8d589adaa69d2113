"""Process a stored submission exactly once: facts, then whatever downstream reads them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Literal

from sqlalchemy import delete, select, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from core.domain.facts import Facts
from core.store.facts import FactsError, fact_row_values, facts_of
from core.store.models import Fact, Submission, utcnow

log = logging.getLogger("pantau.processing")
# Errors after which the same work may succeed later; anything else marks the submission failed.
TRANSIENT = (OperationalError, InterfaceError)

Outcome = Literal["processed", "failed", "skipped"]

# Downstream steps (scoring, alert events) subscribe here; each gets the unit of work's session.
# A step raising FactsError marks the submission failed; any other error rolls the unit back.
OnFacts = Callable[[Session, Submission, Facts], None]
OnRetract = Callable[[Session, Submission, Fact], None]


@dataclass
class Downstream:
    """What runs after facts are stored (on_facts) or withdrawn (on_retract)."""

    on_facts: list[OnFacts] = field(default_factory=list)
    on_retract: list[OnRetract] = field(default_factory=list)
    # Run once at the end of a unit of work (e.g. recompute the IMP periods it touched).
    finish: list[Callable[[Session], None]] = field(default_factory=list)

    def done(self, session: Session) -> None:
        """Run the finish steps."""
        for step in self.finish:
            step(session)


def _claim(session: Session, submission_id: int) -> bool:
    # One conditional UPDATE is the claim: on PostgreSQL a second worker blocks on the row lock
    # and then matches nothing; on SQLite it waits for the single write lock. If this unit of
    # work dies before commit, the claim rolls back with it and the row stays "received".
    result = session.execute(
        update(Submission)
        .where(
            Submission.id == submission_id,
            Submission.status == "received",
            Submission.is_latest.is_(True),
        )
        .values(
            status="processed",
            processed_at=utcnow(),
            process_count=Submission.process_count + 1,
            error=None,
        )
    )
    return result.rowcount == 1


def retract_others(session: Session, submission: Submission, downstream: Downstream) -> None:
    """Withdraw facts of every other version of this record (an edit replaces them)."""
    family = select(Submission.id).where(
        Submission.server == submission.server,
        Submission.asset_uid == submission.asset_uid,
        Submission.id != submission.id,
        (Submission.root_id == submission.root_id)
        | (
            (Submission.record_id == submission.record_id)
            if submission.record_id is not None
            else False
        ),
    )
    for old in session.scalars(select(Fact).where(Fact.submission_id.in_(family))):
        old_sub = session.get(Submission, old.submission_id)
        for step in downstream.on_retract:
            step(session, old_sub, old)
        session.delete(old)


def process_submission(
    session: Session, submission_id: int, downstream: Downstream, *, finish: bool = True
) -> Outcome:
    """Turn one stored submission into facts and run downstream steps, once. Does not commit.

    With finish=False the caller runs `downstream.done(session)` once for a whole batch (a
    backlog of meetings of one IMP then recomputes its tier once, not once per meeting).
    """
    if not _claim(session, submission_id):
        return "skipped"
    submission = session.get(Submission, submission_id)
    assert submission is not None  # the claim matched it
    session.refresh(submission)
    # Results of other versions go first, whatever happens to this one: downstream must
    # follow the current version even when it turns out to be unusable.
    retract_others(session, submission, downstream)
    outcome: Outcome = "processed"
    try:
        with session.begin_nested():
            facts = facts_of(submission)
            session.execute(
                delete(Fact)
                .where(Fact.submission_id == submission.id)
                .execution_options(synchronize_session=False)
            )
            session.add(Fact(submission_id=submission.id, **fact_row_values(facts)))
            session.flush()
            for step in downstream.on_facts:
                step(session, submission, facts)
    except FactsError as exc:
        # A conversion failure will fail the same way next time: record it, do not retry.
        outcome = _fail(submission, str(exc))
    except TRANSIENT:
        raise  # the database is busy or away: the whole unit of work is retried later
    except Exception as exc:  # noqa: BLE001 - a bug must not block every other submission
        log.exception(
            "submission %s failed unexpectedly",
            submission_id,
            extra={"submission_id": submission_id},
        )
        outcome = _fail(submission, f"unexpected error: {exc.__class__.__name__}: {exc}")
    if finish:
        downstream.done(session)
    return outcome


def _fail(submission: Submission, reason: str) -> Outcome:
    submission.status = "failed"
    submission.error = reason[:2000]
    log.warning(
        "submission %s failed: %s",
        submission.id,
        reason,
        extra={"submission_id": submission.id},
    )
    return "failed"


def process_batch(session: Session, submission_ids: list[int], downstream: Downstream) -> int:
    """Process several submissions in one unit of work; return how many were processed."""
    done = 0
    for sid in submission_ids:
        if process_submission(session, sid, downstream, finish=False) != "skipped":
            done += 1
    downstream.done(session)
    return done


def retract_deleted(session: Session, submission_ids: list[int], downstream: Downstream) -> int:
    """Withdraw the facts of submissions deleted upstream; return how many facts went."""
    n = 0
    for fact in session.scalars(select(Fact).where(Fact.submission_id.in_(submission_ids))):
        sub = session.get(Submission, fact.submission_id)
        for step in downstream.on_retract:
            step(session, sub, fact)
        session.delete(fact)
        n += 1
    return n


def pending_ids(
    session: Session, older_than: timedelta = timedelta(0), limit: int = 500
) -> list[int]:
    """Ids of current submissions still waiting to be processed (oldest first)."""
    cutoff = utcnow() - older_than
    return list(
        session.scalars(
            select(Submission.id)
            .where(
                Submission.status == "received",
                Submission.is_latest.is_(True),
                Submission.received_at <= cutoff,
            )
            .order_by(Submission.id)
            .limit(limit)
        )
    )
