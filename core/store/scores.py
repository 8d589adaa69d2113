"""Queries on the IMP registry, tier assessments, families, risk assessments and events."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Row, bindparam, delete, insert, select
from sqlalchemy.orm import Session, aliased

from core.store.db import transaction_memo
from core.store.models import (
    DomainEvent,
    Fact,
    Family,
    Institution,
    RiskAssessment,
    Submission,
    utcnow,
)

_PARENTS = "pantau.parent_codes"  # session.info: the answers of parent_codes() so far


def parent_codes(session: Session, imp: str) -> list[str]:
    """Codes of every IMP above this one, nearest first.

    Remembered for the transaction: a unit of work's kelompok KB reports all ask for the same
    sub pos and pos KB, and its registry does not change under it. A new transaction asks anew.
    """
    known: dict[str, list[str]] = transaction_memo(session, _PARENTS)
    if imp not in known:
        code = session.scalar(_PARENT_OF, {"imp": imp})
        known[imp] = [code, *parent_codes(session, code)] if code else []
    return list(known[imp])


# Built once: an alias proxies every column of the table, which cost more than the query.
_PARENT = aliased(Institution, name="parent")
_PARENT_OF = (
    select(_PARENT.code)
    .join(Institution, Institution.parent_id == _PARENT.id)
    .where(Institution.code == bindparam("imp"))
)


def imp_desa(session: Session, imp: str) -> str | None:
    """The desa/kelurahan an IMP belongs to."""
    return session.scalar(select(Institution.desa_code).where(Institution.code == imp))


def in_wilayah(column: Any, wilayah: str) -> ColumnElement[bool]:
    """A code column inside a dotted wilayah: "32.77" is Kota Cimahi, never 32.770…."""
    code = wilayah.rstrip(".")
    # autoescape: `%` and `_` in what a user typed are characters, not LIKE wildcards (wilayah
    # is about to become the access boundary of the web API).
    return (column == code) | column.startswith(code + ".", autoescape=True)


NEW_EVENTS = "pantau.new_events"


@dataclass
class NewEvent:
    """A domain event of the unit of work, not stored yet (see add_event)."""

    kind: str
    desa_code: str | None
    payload: dict[str, Any]
    created_at: datetime = field(default_factory=utcnow)
    handled_at: datetime | None = None


def add_event(session: Session, kind: str, desa: str | None, payload: dict[str, Any]) -> None:
    """Record a domain event (a tier change, a family to look at) for what reacts to it.

    The unit of work keeps its new events, so the steps reacting to them run before it commits;
    whoever adds events runs dispatch_events, which stores them, handled or not, in one
    statement. (Added to the session one by one, each cost a flush of its own, then an update.)
    """
    session.info.setdefault(NEW_EVENTS, []).append(NewEvent(kind, desa, payload))


def new_events(session: Session) -> list[NewEvent]:
    """The events recorded so far and not yet taken by dispatch_events (a live list)."""
    return session.info.setdefault(NEW_EVENTS, [])


def store_events(session: Session, events: Sequence[NewEvent]) -> None:
    """Insert events into domain_events (one statement)."""
    if events:
        session.execute(
            insert(DomainEvent),
            [
                {
                    "kind": e.kind,
                    "desa_code": e.desa_code,
                    "payload": e.payload,
                    "created_at": e.created_at,
                    "handled_at": e.handled_at,
                }
                for e in events
            ],
        )


def family_by_key(session: Session, key: str) -> Family | None:
    """The family with this pseudonymous key."""
    return session.scalar(select(Family).where(Family.family_key == key))


def drop_risk_assessment(session: Session, submission_id: int) -> None:
    """Delete the risk assessment made from one submission, if any."""
    # synchronize_session=False: the default re-scans every object in the session per delete,
    # which made a full recompute quadratic in the number of families.
    session.execute(
        delete(RiskAssessment)
        .where(RiskAssessment.submission_id == submission_id)
        .execution_options(synchronize_session=False)
    )


def risk_assessment_of(session: Session, submission_id: int) -> RiskAssessment | None:
    """The risk assessment made from one submission."""
    return session.scalar(
        select(RiskAssessment).where(RiskAssessment.submission_id == submission_id)
    )


def latest_risk_assessment(session: Session, family_id: int) -> RiskAssessment | None:
    """The family's most recent survey among current submissions."""
    return session.scalar(
        select(RiskAssessment)
        .join(Submission, Submission.id == RiskAssessment.submission_id)
        .where(RiskAssessment.family_id == family_id, Submission.is_latest.is_(True))
        .order_by(RiskAssessment.surveyed_on.desc(), RiskAssessment.submission_id.desc())
    )


def family_places(
    session: Session, keys: Iterable[str]
) -> dict[str, tuple[str, str | None, str | None]]:
    """(desa, RW, RT) of each family among keys, as its latest survey placed it."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = session.execute(
        select(Family.family_key, Family.desa_code, Family.rw, Family.rt).where(
            Family.family_key.in_(wanted)
        )
    )
    return {r.family_key: (r.desa_code, r.rw, r.rt) for r in rows}


# -- batch reads for a whole re-score (one statement where a single IMP or family needs several)


@dataclass(frozen=True)
class ImpIndex:
    """The whole IMP registry in memory, for a re-score that asks about every IMP.

    What parent_codes and imp_desa answer one IMP at a time, for every IMP.
    """

    kind: dict[str, str]
    desa: dict[str, str]
    parent: dict[str, str]
    children: dict[str, list[str]]

    def parent_codes(self, imp: str) -> list[str]:
        """Codes of every IMP above this one, nearest first (as the function of that name)."""
        chain, code = [], self.parent.get(imp)
        while code is not None:
            chain.append(code)
            code = self.parent.get(code)
        return chain

    def descendants(self, imp: str) -> list[str]:
        """Codes of every IMP below this one: its children, then theirs.

        A Kelompok KB under a Sub-PPKBD is evidence for the PPKBD above both, as the
        rescoring after its report (parent_codes: every IMP above) already assumes.
        """
        found: list[str] = []
        level = list(self.children.get(imp, []))
        while level:
            level = [code for code in level if code not in found and code != imp]
            found += level
            level = [kid for code in level for kid in self.children.get(code, [])]
        return found


def imp_index(session: Session, codes: Collection[str] | None = None) -> ImpIndex:
    """Every registered IMP (active or not, as the one-IMP queries read them).

    With `codes`: those IMPs and every IMP below them only (their parents are not looked up).
    """
    columns = (
        Institution.id,
        Institution.code,
        Institution.kind,
        Institution.desa_code,
        Institution.parent_id,
    )
    if codes is None:
        rows = session.execute(select(*columns).order_by(Institution.id)).all()
    else:
        rows = list(session.execute(select(*columns).where(Institution.code.in_(list(codes)))))
        seen = {r.id for r in rows}
        level = list(seen)
        while level:  # their children, then theirs (a registry is three levels deep)
            below = session.execute(select(*columns).where(Institution.parent_id.in_(level)))
            new = [r for r in below if r.id not in seen]
            seen.update(r.id for r in new)
            rows += new
            level = [r.id for r in new]
        rows = sorted({r.id: r for r in rows}.values(), key=lambda r: r.id)
    code_of = {r.id: r.code for r in rows}
    index = ImpIndex({}, {}, {}, {})
    for r in rows:
        index.kind[r.code], index.desa[r.code] = r.kind, r.desa_code
        index.children.setdefault(r.code, [])
        if r.parent_id in code_of:
            index.parent[r.code] = code_of[r.parent_id]
            index.children.setdefault(code_of[r.parent_id], []).append(r.code)
    return index


def imp_fact_months(
    session: Session, forms: Sequence[str], wilayah: str | None = None
) -> list[tuple[str, str, str | None]]:
    """(IMP code, form, month) of current IMP facts, each once: the month fact_month() gives.

    The period column holds a report's or profile's `periode` as answered and other forms'
    date's month; fact_month() takes a `periode` only when it is a "YYYY-MM".
    """
    stmt = (
        select(Fact.imp_code, Fact.form_id, Fact.period)
        .join(Submission, Submission.id == Fact.submission_id)
        .where(Fact.form_id.in_(list(forms)), Submission.is_latest.is_(True))
        .where(Fact.imp_code.is_not(None))
        .distinct()
    )
    if wilayah:
        stmt = stmt.where(in_wilayah(Fact.desa_code, wilayah))
    return [
        (imp, form, period if isinstance(period, str) and len(period) == 7 else None)
        for imp, form, period in session.execute(stmt)
    ]


def imp_fact_rows_in_months(
    session: Session,
    forms: Sequence[str],
    months: Sequence[str],
    codes: Collection[str] | None = None,
) -> list[Row[Any]]:
    """Current facts of these forms whose period is one of months, of every IMP (or of `codes`).

    Rows of the columns facts_from_row() reads (and the fact's id, imp_code and period), not
    Fact objects: the scores only read them, and the session's bookkeeping of thousands of
    objects cost more than the query.
    """
    of_imps = Fact.imp_code.in_(list(codes)) if codes is not None else Fact.imp_code.is_not(None)
    stmt = (
        select(Fact.id, Fact.period, *_FACT_COLUMNS)
        .join(Submission, Submission.id == Fact.submission_id)
        .where(Fact.form_id.in_(list(forms)), Submission.is_latest.is_(True))
        .where(of_imps, Fact.period.in_(list(months)))
    )
    return list(session.execute(stmt))


_FACT_COLUMNS = (Fact.imp_code, Fact.form_id, Fact.submission_id, Fact.values, Fact.submitted_at)


CHUNK = 500  # bound parameters per IN (): far under SQLite's and PostgreSQL's limits


def families_by_key(session: Session, keys: Iterable[str]) -> dict[str, Family]:
    """family_by_key() of many keys, one statement per CHUNK keys."""
    wanted = sorted(set(keys))
    found: dict[str, Family] = {}
    for i in range(0, len(wanted), CHUNK):
        stmt = select(Family).where(Family.family_key.in_(wanted[i : i + CHUNK]))
        found.update((f.family_key, f) for f in session.scalars(stmt))
    return found


def replace_risk_assessments(session: Session, rows: Sequence[RiskAssessment]) -> None:
    """Store these assessments in their order, each replacing its submission's (flushed).

    The rows and ids one drop_risk_assessment() + insert per survey gives. SQLite (no
    AUTOINCREMENT) hands out max(id) + 1, which dropping every old row first would lower: there
    it stays one survey at a time, which costs no network round trip anyway.
    """
    if session.get_bind().dialect.name == "sqlite":
        for row in rows:
            drop_risk_assessment(session, row.submission_id)
            session.add(row)
            session.flush()
        return
    ids = [row.submission_id for row in rows]
    for i in range(0, len(ids), CHUNK):
        session.execute(
            delete(RiskAssessment)
            .where(RiskAssessment.submission_id.in_(ids[i : i + CHUNK]))
            .execution_options(synchronize_session=False)
        )
    session.add_all(rows)
    session.flush()


class LatestSurvey(NamedTuple):
    """A family's most recent current survey: its KRS, its submission and where it was made."""

    krs: bool
    submission_id: int
    desa: str | None
    rw: str | None
    rt: str | None


def latest_surveys(session: Session, family_ids: Iterable[int]) -> dict[int, LatestSurvey]:
    """Per family, latest_risk_assessment()'s survey (families without one are left out).

    Its place is read from the survey's facts row; None there when it has none yet (a survey
    being processed in this transaction: the caller has its facts).
    """
    wanted = sorted(set(family_ids))
    latest: dict[int, LatestSurvey] = {}
    for i in range(0, len(wanted), CHUNK):
        # The same join and order as latest_risk_assessment, so the same survey comes first
        # (NULL survey dates sort where this database sorts them there too).
        rows = session.execute(
            select(
                RiskAssessment.family_id,
                RiskAssessment.krs,
                RiskAssessment.submission_id,
                Fact.desa_code,
                Fact.values,
            )
            .join(Submission, Submission.id == RiskAssessment.submission_id)
            .outerjoin(Fact, Fact.submission_id == RiskAssessment.submission_id)
            .where(
                RiskAssessment.family_id.in_(wanted[i : i + CHUNK]),
                Submission.is_latest.is_(True),
            )
            .order_by(
                RiskAssessment.family_id,
                RiskAssessment.surveyed_on.desc(),
                RiskAssessment.submission_id.desc(),
            )
        )
        for family_id, krs, submission_id, desa, values in rows:
            if family_id not in latest:
                place = values or {}
                latest[family_id] = LatestSurvey(
                    krs, submission_id, desa or place.get("desa"), place.get("rw"), place.get("rt")
                )
    return latest
