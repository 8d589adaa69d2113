"""Store every submission exactly once, whichever path brought it; refused ones as dead letters.

The webhook, the pull, the sweep and `pantau intake replay` all come through here: `receive()`
stores a record (or keeps what cannot be stored as a dead letter, with the reason) inside its
own savepoint, so one bad record never takes its neighbours or a pull's cursor down with it.
A submission is keyed by its instance id; versions of one record form a chain
(`core.domain.versions`) of which exactly one is current.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from core.domain.privacy import (
    Keyring,
    as_keyring,
    blank_numbers,
    pseudonymise,
    redact_bytes,
    shown,
)
from core.domain.submissions import (
    IntakeRejected,
    Refusal,
    check_storable,
    identity,
    parse_json_body,
    parse_submission_time,
    server_form,
)
from core.domain.versions import resolve, settle
from core.store import inserts
from core.store import submissions as store
from core.store import versions as chain
from core.store.facts import contract
from core.store.keys import check_key
from core.store.models import Submission, utcnow
from core.usecases.form_refs import FormRef, resolve_form

Outcome = Literal["created", "duplicate", "rejected"]


@dataclass(frozen=True)
class Received:
    """What happened to one record that reached us."""

    outcome: Outcome
    submission_id: int | None = None
    is_latest: bool = False
    # The record's current version when it waits to be processed (usually the new row; an
    # older row when the new one made it current again), else None.
    process_id: int | None = None
    reason: str | None = None
    refusal: Refusal | None = None
    dead_letter_id: int | None = None

    @property
    def needs_processing(self) -> bool:
        """Whether something must now be processed (see process_id)."""
        return self.process_id is not None


@dataclass
class IntakeCounts:
    """Tally of a batch of received records."""

    created: int = 0
    duplicates: int = 0
    rejected: int = 0

    def add(self, received: Received) -> None:
        """Count one received record."""
        if received.outcome == "created":
            self.created += 1
        elif received.outcome == "duplicate":
            self.duplicates += 1
        else:
            self.rejected += 1


# -- storing ---------------------------------------------------------------------------------------


def ingest(
    session: Session,
    raw: dict[str, Any],
    *,
    source: str,
    secret: bytes | Keyring,
    server: str = "kobo",
    require_known_form: bool = True,
    checked: bool = False,
) -> Received:
    """Store one submission dict exactly once and keep its record's version chain consistent.

    Identifying answers (KK/NIK) and KK-shaped numbers anywhere are pseudonymised with `secret`
    before anything is stored, once the keys are checked against those of the stored family
    keys (PseudonymKeyMismatch, retryable, when not). Raises IntakeRejected for a payload that
    can never be stored (no instance id, unknown form). Does not commit.

    A new record (no `deprecatedID`, no other stored version) costs one INSERT, which also
    checks the keys and looks for other versions; anything else settles the whole chain.
    """
    if not checked:  # the pull and replay paths did not go through parse_json_body
        check_storable(raw)
    keyring = as_keyring(secret)
    raw = pseudonymise(raw, keyring, contract().identifying)
    instance, root, deprecated, record_id = identity(raw)
    asset_uid, version = server_form(raw)
    ref = resolve_form(session, server, asset_uid, version)
    if require_known_form and ref.form_id is None:
        check_key(session, keyring.fingerprint)  # a process on old keys refuses nothing either
        raise IntakeRejected(
            f"unknown form: asset {shown(asset_uid)} was never published through Pantau"
            if asset_uid
            else "unknown form: the submission has no _xform_id_string",
            Refusal.UNPROCESSABLE,
        )
    key = record_id if record_id is not None else root
    row = version_row(raw, (instance, root, deprecated, record_id), server, source, ref)
    # One statement stores a new record, after the record's lock (one round trip for both);
    # no asset only happens without require_known_form.
    if asset_uid:
        lock = chain.record_lock_id(server, asset_uid, key)
        inserted = inserts.insert_checked(session, row, keyring.fingerprint, lock=lock)
    else:
        chain.lock_record(session, server, asset_uid, key)
        inserted = None
    if inserted is not None and not inserted[1] and deprecated is None:
        return Received("created", inserted[0], True, inserted[0])
    if inserted is None:
        # Raises when the keys do not match. After the INSERT, no shared lock: that statement
        # holds the table lock that keeps a rotation out (see inserts.insert_checked).
        check_key(session, keyring.fingerprint, lock=not asset_uid)
        new_id = inserts.insert_version(session, row)
        if new_id is None:
            existing = store.by_instance(session, instance)
            assert existing is not None  # the conflict was on this instance id
            return Received("duplicate", existing.id, existing.is_latest)
    else:
        new_id = inserted[0]
    return settle_chain(session, server, asset_uid, (root, record_id), new_id)


def settle_chain(
    session: Session,
    server: str,
    asset_uid: str | None,
    record: tuple[str, int | None],
    new_id: int,
) -> Received:
    """Choose the current version of a record (root id, server id) after storing new_id."""
    versions = chain.versions_of(session, server, asset_uid, *record)
    current, changes = resolve(versions)
    _apply(versions, changes)
    session.flush()
    if current is None:  # the record was deleted upstream: new_id is kept, deleted with it
        return Received("created", new_id)
    process_id = current.id if current.status == "received" else None
    return Received("created", new_id, current.id == new_id, process_id)


def version_row(
    raw: dict[str, Any],
    ids: tuple[str, str, str | None, int | None],
    server: str,
    source: str,
    ref: FormRef,
) -> dict[str, Any]:
    """The columns of a new version (inserts.INSERT_COLUMNS) of a pseudonymised record."""
    instance, root, deprecated, record_id = ids
    asset_uid, version = server_form(raw)
    return {
        "instance_id": instance,
        "root_id": root,
        "deprecated_id": deprecated,
        "record_id": record_id,
        "server": server,
        "source": source,
        "asset_uid": asset_uid,
        "form_id": ref.form_id,
        "form_version_id": ref.form_version_id,
        "server_version": version,
        "version_known": ref.version_known,
        "raw": raw,
        "submitted_at": parse_submission_time(raw),
        "received_at": utcnow(),
        "status": "received",
        # Optimistic: a new record is its own current version; settling the chain corrects it
        # in the rare case of an older version arriving late.
        "is_latest": True,
        "process_count": 0,
    }


def _apply(versions: list[Submission], changes: list[Any]) -> None:
    by_id = {v.id: v for v in versions}
    for change in changes:
        row = by_id[change.id]
        row.is_latest, row.status = change.is_latest, change.status


def make_current(session: Session, submission_id: int) -> bool:
    """Make this stored version its record's current one (the server says so); True if changed."""
    row = session.get(Submission, submission_id)
    if row is None or row.is_latest:
        return False
    root = row.root_id or row.instance_id
    chain.lock_record(session, row.server, row.asset_uid, row.record_id or row.root_id)
    versions = chain.versions_of(session, row.server, row.asset_uid, root, row.record_id)
    _apply(versions, settle(versions, row.id))
    row.status = "received"  # to be processed as the current version
    session.flush()
    return True


# -- one door for every path --------------------------------------------------------------------


def receive(
    session: Session,
    record: Any,
    *,
    source: str,
    secret: bytes | Keyring,
    server: str = "kobo",
    context: str = "",
) -> Received:
    """Store one record in its own savepoint, or keep it as a dead letter with the reason.

    `context` (a file name, a page) prefixes the reason of a refusal. Does not commit.
    """
    result = _try_ingest(session, record, source=source, secret=secret, server=server)
    if isinstance(result, Received):
        return result
    reason = f"{context}: {result.reason}" if context else result.reason
    return _refuse(
        session, result, reason, _record_body(record, secret), source, "application/json"
    )


def receive_body(
    session: Session,
    body: bytes,
    *,
    source: str,
    secret: bytes | Keyring,
    refused: IntakeRejected | None = None,
    content_type: str | None = None,
    headers: dict[str, str] | None = None,
) -> Received:
    """Parse and store a raw body (a webhook delivery), or keep it as it came, as a dead letter.

    `refused` is a refusal the adapter already decided (too large, wrong content type).
    """
    result: Received | IntakeRejected
    if refused is not None:
        result = refused
    else:
        try:
            raw = parse_json_body(body)
        except IntakeRejected as exc:
            result = exc
        else:
            # The delivery is the whole transaction: no savepoint needed (two round trips).
            result = _try_ingest(
                session, raw, source=source, secret=secret, server="kobo", savepoint=False
            )
    if isinstance(result, Received):
        return result
    return _refuse(session, result, result.reason, body, source, content_type, headers)


def _try_ingest(
    session: Session,
    record: Any,
    *,
    source: str,
    secret: bytes | Keyring,
    server: str,
    savepoint: bool = True,
) -> Received | IntakeRejected:
    try:
        if not isinstance(record, dict):
            raise IntakeRejected("not a JSON object")
        if not savepoint:  # a webhook delivery: parse_json_body checked it, alone in its tx
            return ingest(
                session, record, source=source, server=server, secret=secret, checked=True
            )
        # A savepoint per record: one record the database refuses must not roll back (and so
        # block for ever) the rest of its page and the cursor.
        with session.begin_nested():
            return ingest(session, record, source=source, server=server, secret=secret)
    except IntakeRejected as exc:
        if not savepoint:
            session.rollback()  # e.g. the key check claimed nothing, the lock: start afresh
        return exc
    except (DataError, IntegrityError) as exc:
        if not savepoint:
            session.rollback()  # the failed statement aborted the transaction
        # The database refused a value (out of range, wrong encoding): the same record will be
        # refused every time, so it is the sender's problem, kept as a dead letter.
        return IntakeRejected(
            f"a value cannot be stored: {exc.orig.__class__.__name__}", Refusal.UNPROCESSABLE
        )


def _refuse(
    session: Session,
    refusal: IntakeRejected,
    reason: str,
    body: bytes,
    source: str,
    content_type: str | None,
    headers: dict[str, str] | None = None,
) -> Received:
    reason = blank_numbers(reason)  # a reason is logged, answered and stored: no KK in it
    letter = dead_letter(
        session,
        source=source,
        reason=reason,
        body=body,
        content_type=content_type,
        headers=headers,
    )
    return Received("rejected", reason=reason, refusal=refusal.kind, dead_letter_id=letter)


def dead_letter(
    session: Session,
    *,
    source: str,
    reason: str,
    body: bytes,
    content_type: str | None = None,
    headers: dict[str, str] | None = None,
) -> int:
    """Keep a payload we cannot use, with the reason; return its id.

    The body is kept byte for byte except that any 16-digit run (a KK or NIK) is blanked:
    personal numbers are never stored in clear, even in a payload we could not read.
    """
    return store.add_dead_letter(
        session,
        source=source,
        reason=blank_numbers(reason),
        body=redact_bytes(body),
        content_type=blank_numbers(content_type or "")[:120] or None,
        headers={k: blank_numbers(v) for k, v in (headers or {}).items()},
    )


def _record_body(record: Any, secret: bytes | Keyring) -> bytes:
    # Pseudonymise first: a refused record still carries the family's KK number in clear.
    try:
        clean = pseudonymise(record, secret, contract().identifying)
        return json.dumps(clean, ensure_ascii=False).encode("utf-8", "backslashreplace")
    except (TypeError, ValueError, RecursionError):
        try:
            return repr(record).encode("utf-8", "backslashreplace")
        except ValueError:  # an integer of more than 4,300 digits has no repr
            return b"(a record that cannot be shown)"
