"""On PostgreSQL a whole re-score holds one lock, and units of work scoring its kind wait.

It had taken one advisory lock per IMP-period: a district's year (~30,000) overflowed the
server's shared lock table (max_locks_per_transaction x max_connections) and `pantau score
imp` failed with "out of shared memory" (found by `make bench` at 12 months of reports).
"""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import select, text

from core.store.models import Submission, TierAssessment
from core.usecases.processing import process_batch
from core.usecases.rescoring import score_imps
from core.wiring import rules_for
from tests.integration.intake.conftest import AUTH, submit_and_read
from tests.support.processes import wait_for
from tests.support.submissions import family_answers, meeting_answers

pytestmark = pytest.mark.postgres

MONTHS = (date(2026, 7, 6), date(2026, 8, 6), date(2026, 9, 6), date(2026, 10, 6))
ADVISORY = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
)
# A unit of work waiting for the hold, in this test's database (others run beside it).
WAITING = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
    "AND mode = 'ShareLock' "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


def _deliver(client, sandbox, form, day: date | None = None, answers: dict | None = None) -> int:
    rec = submit_and_read(sandbox, form, answers or meeting_answers(day=day))
    answer = client.post("/webhooks/kobo", json=rec, headers=AUTH)
    assert answer.status_code == 202
    return answer.get_json()["submission"]


def _process(session_factory, rules, ids: list[int]) -> None:
    with session_factory() as s:
        assert process_batch(s, ids, rules) == len(ids)
        s.commit()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_whole_rescore__one_advisory_lock_however_many_imp_periods(
    backend, settings, client, kobo_sandbox, meeting_form, session_factory
):
    rules = rules_for(settings)
    _process(
        session_factory, rules, [_deliver(client, kobo_sandbox, meeting_form, d) for d in MONTHS]
    )
    with session_factory() as s:
        scored = score_imps(s, rules)
        held = s.scalar(ADVISORY)
        s.rollback()
    assert sorted(a.period for a in scored) == ["2026-07", "2026-08", "2026-09", "2026-10"]
    assert held == 1  # one per IMP-period before: four here, ~30,000 for a district's year


@pytest.mark.parametrize("backend", ["postgresql"])
def test_whole_rescore__a_unit_of_work_scoring_meanwhile_waits_and_then_counts(
    backend, settings, client, kobo_sandbox, meeting_form, session_factory
):
    rules = rules_for(settings)
    first = _deliver(client, kobo_sandbox, meeting_form, MONTHS[-1])
    _process(session_factory, rules, [first])
    later = _deliver(client, kobo_sandbox, meeting_form, date(2026, 10, 20))  # stored, waiting
    with session_factory() as rescore:
        score_imps(rescore, rules)  # holds all scoring until it commits
        worker = threading.Thread(target=_process, args=(session_factory, rules, [later]))
        worker.start()
        with session_factory() as probe:
            wait_for(lambda: probe.scalar(WAITING) >= 1, timeout=30, what="the unit waiting")
            probe.rollback()
        assert worker.is_alive()
        rescore.commit()
    worker.join(timeout=30)
    assert not worker.is_alive()
    with session_factory() as s:
        assert s.get(Submission, later).status == "processed"
        tier = s.scalars(select(TierAssessment).where(TierAssessment.period == "2026-10")).one()
    # The unit scored October after the re-score committed: with both meetings, not one.
    assert sorted(tier.explanation["roles"]["pertemuan"]["evidence"]) == [first, later]


@pytest.mark.parametrize("backend", ["postgresql"])
def test_imp_rescore__a_family_survey_is_processed_meanwhile(
    backend, settings, client, kobo_sandbox, meeting_form, family_form, session_factory
):
    # An IMP re-score of a year takes over a minute: family surveys (and their alerts to the
    # TPPS) must not wait for it.
    rules = rules_for(settings)
    _process(session_factory, rules, [_deliver(client, kobo_sandbox, meeting_form, MONTHS[0])])
    survey = _deliver(client, kobo_sandbox, family_form, answers=family_answers())
    with session_factory() as rescore:
        score_imps(rescore, rules)  # holds IMP scoring until it commits
        worker = threading.Thread(target=_process, args=(session_factory, rules, [survey]))
        worker.start()
        worker.join(timeout=30)
        assert not worker.is_alive()
        rescore.rollback()
    with session_factory() as s:
        assert s.get(Submission, survey).status == "processed"
