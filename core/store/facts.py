"""Submission JSON -> typed facts through the form contract, and back from the facts table."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Row, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from core.domain.facts import MISSING, WITHHELD, Facts, FactsError, extract_values
from core.domain.forms.contract import Contract, load_contract
from core.domain.privacy import INVALID_PREFIX, is_pseudonym
from core.store.models import Fact, Submission, utcnow
from core.store.scores import CHUNK

__all__ = ["FactsError", "contract", "facts_of", "facts_from_row", "fact_row_values"]


@lru_cache(maxsize=1)
def contract() -> Contract:
    """The form contract of this installation (read once)."""
    return load_contract()


def _jsonable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def _split_identifiers(raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    # Identifying answers were replaced by pseudonyms at intake; they bypass the contract's
    # 16-digit pattern and reach scoring as the pseudonymous family key. An error about one
    # names the field and never its value.
    rest: dict[str, Any] = {}
    found: dict[str, str] = {}
    for key, value in raw.items():
        name = key.rsplit("/", 1)[-1]
        if name not in contract().identifying:
            rest[key] = value
        elif value is None or value == "":
            continue  # unanswered
        elif not is_pseudonym(value):
            kind = type(value).__name__
            raise FactsError(name, WITHHELD, f"expected a 16-digit answer (a string), got {kind}")
        elif value.startswith(INVALID_PREFIX):
            # The number itself is gone (pseudonymised at intake); say what was wrong with it.
            raise FactsError(name, WITHHELD, "was not a 16-digit number")
        else:
            found[name] = value
    return rest, found


def _require_identifiers(form_id: str, found: dict[str, str]) -> None:
    # A family survey without its KK cannot be scored: the sender's data, named as such.
    form = contract().form(form_id)
    for name in contract().identifying & set(form.top_level()):
        if form.fields[name].required and name not in found:
            raise FactsError(name, MISSING, "required answer missing")


def _period_of(form_id: str, values: dict[str, Any]) -> str | None:
    if isinstance(values.get("periode"), str):
        return values["periode"]
    date_field = contract().form(form_id).date_field
    day = values.get(date_field)
    return day.isoformat()[:7] if isinstance(day, date) else None


def _utc(moment: datetime | None) -> datetime | None:
    # SQLite drops the offset of a timestamp column; everything we store is UTC.
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def facts_of(submission: Submission) -> Facts:
    """Typed facts of a stored submission; raises FactsError for an unusable answer."""
    if submission.form_id is None:
        raise FactsError("_xform_id_string", submission.asset_uid, "form not known to Pantau")
    raw, pseudonyms = _split_identifiers(submission.raw)
    _require_identifiers(submission.form_id, pseudonyms)
    values = extract_values(raw, submission.form_id, contract())
    values.update(pseudonyms)
    return Facts(
        form=submission.form_id,
        submission_id=submission.id,
        submitted_at=(
            _utc(submission.submitted_at) or _utc(submission.received_at) or datetime.now(UTC)
        ),
        values=values,
        instance_id=submission.instance_id,
    )


def fact_row_values(facts: Facts) -> dict[str, Any]:
    """Column values for the facts table row of facts (JSON-able answers, keys to query by)."""
    desa = facts.values.get("desa")
    imp = facts.values.get("imp")
    return {
        "form_id": facts.form,
        "desa_code": desa if isinstance(desa, str) else None,
        "imp_code": imp if isinstance(imp, str) else None,
        "period": _period_of(facts.form, facts.values),
        "values": _jsonable(facts.values),
        "submitted_at": facts.submitted_at,
    }


def facts_from_row(row: Fact | Row[Any]) -> Facts:
    """Rebuild typed Facts from a stored facts row (dates and numbers as the contract says).

    The row is a Fact, or a selected row with its form_id, submission_id, values, submitted_at.
    """
    fc = contract().form(row.form_id)

    def typed(name: str, value: Any, fields: dict) -> Any:
        field = fields.get(name)
        # The date field may be a metadata question outside the contract (`today`); a contract
        # field keeps its own type (profil_imp's date field `periode` is a "YYYY-MM" calculate).
        if (field is None and name == fc.date_field) or (
            field is not None and field.type == "date"
        ):
            return date.fromisoformat(value) if isinstance(value, str) else value
        if field is None:
            return value
        if field.type == "repeat" and isinstance(value, list):
            children = fc.in_repeat(name)
            return [{k: typed(k, v, children) for k, v in rowv.items()} for rowv in value]
        if field.type == "geopoint" and isinstance(value, list):
            return tuple(value)
        return value

    top = fc.top_level()
    values = {k: typed(k, v, top) for k, v in row.values.items()}
    return Facts(
        form=row.form_id,
        submission_id=row.submission_id,
        submitted_at=_utc(row.submitted_at) or datetime.now(UTC),
        values=values,
    )


def claim(session: Session, submission_ids: list[int]) -> list[Submission]:
    """Mark waiting current submissions processed; return those claimed, loaded afresh.

    One conditional UPDATE is the claim: on PostgreSQL a second worker blocks on the row locks
    and then matches nothing; on SQLite it waits for the single write lock. If the unit of work
    dies before commit, the claim rolls back with it and the rows stay "received". A unit of
    work claims all of its submissions at once: one statement, not one each.
    """
    claimed: list[int] = []
    for i in range(0, len(submission_ids), CHUNK):
        stmt = (
            update(Submission)
            .where(
                Submission.id.in_(submission_ids[i : i + CHUNK]),
                Submission.status == "received",
                Submission.is_latest.is_(True),
            )
            .values(
                status="processed",
                processed_at=utcnow(),
                process_count=Submission.process_count + 1,
                error=None,
            )
            .returning(Submission.id)
            .execution_options(synchronize_session=False)
        )
        claimed += session.scalars(stmt)
    if not claimed:
        return []
    # populate_existing: an object this session already held must show the claim too.
    loaded = select(Submission).where(Submission.id.in_(claimed))
    rows = session.scalars(loaded.execution_options(populate_existing=True))
    return sorted(rows, key=lambda s: s.id)


def replace_facts(session: Session, facts: Facts) -> None:
    """Store the facts of one submission in place of any it had.

    Two statements on the session's connection: the steps read facts back by query, never as
    objects, and the ORM's handling of a statement (an autoflush, bookkeeping of a new object)
    cost more than the statement itself, for every processed submission.
    """
    conn = session.connection()
    conn.execute(_DELETE_FACTS, {"sid": facts.submission_id})
    conn.execute(_INSERT_FACT, {"submission_id": facts.submission_id, **fact_row_values(facts)})


_DELETE_FACTS = delete(Fact.__table__).where(Fact.__table__.c.submission_id == bindparam("sid"))
_INSERT_FACT = insert(Fact.__table__)


def facts_rows_of(session: Session, submission_ids: Any) -> list[Fact]:
    """Fact rows of these submissions (a list of ids or an id subquery)."""
    return list(session.scalars(select(Fact).where(Fact.submission_id.in_(submission_ids))))
