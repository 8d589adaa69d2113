"""Store a page of pulled records in a few statements: the pull's fast path into intake.

`receive()` stores one record in its own savepoint: about four round trips (savepoint, record
lock, insert, release), which were nearly all of a 100,000-record backfill's time. Most
records of a page are new records of their own (no earlier version, no other version of the
record in the page, a form we published). Those go in together: one key check, one statement
taking every record lock, one multi-row INSERT. Everything else (edits, a record twice in
the page, anything malformed or of an unknown form, a page the database refuses) goes
through `receive()` one by one, so every rule of intake holds for it unchanged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from core.domain.privacy import Keyring, as_keyring, pseudonymise
from core.domain.screening import Screened, screen
from core.domain.submissions import IntakeRejected, check_storable, identity, server_form
from core.store import inserts
from core.store import submissions as store
from core.store import versions as chain
from core.store.facts import contract
from core.store.keys import check_key
from core.usecases.form_refs import resolve_form
from core.usecases.intake import Received, receive, settle_chain, version_row


@dataclass(frozen=True)
class _New:
    """A record that may go in with the page: its row and the keys its versions share."""

    index: int
    row: dict[str, Any]
    text: str | None  # the row's raw as JSON, when screening made it

    @property
    def record(self) -> tuple[str, int | None]:
        return self.row["root_id"], self.row["record_id"]

    @property
    def lock_key(self) -> object:
        # As ingest() locks a record: by the server's id when there is one.
        root, record_id = self.record
        return record_id if record_id is not None else root


def screen_page(records: Sequence[Any], secret: bytes | Keyring) -> list[Screened | None]:
    """Each record screened (pseudonymised and serialised), or None for the careful path.

    Pure: the pull runs it in the thread that reads the pages, beside the database work.
    """
    keyring, identifying = as_keyring(secret), contract().identifying
    return [screen(rec, keyring, identifying) for rec in records]


def receive_page(
    session: Session,
    records: list[Any],
    *,
    source: str,
    secret: bytes | Keyring,
    server: str = "kobo",
    screened: Sequence[Screened | None] | None = None,
) -> list[Received]:
    """What receive() would say of each record, in order; new records stored together.

    `screened`: screen_page() of records, if the caller made it already (with these keys).
    Does not commit. Raises what receive() raises (PseudonymKeyMismatch, a lost connection).
    """
    keyring = as_keyring(secret)
    if screened is None:
        screened = screen_page(records, keyring)
    parsed = [
        _parse(session, rec, s, keyring, server, source)
        for rec, s in zip(records, screened, strict=True)
    ]
    shared = Counter(key for row in parsed if row is not None for key in _record_keys(row))
    new = [
        _New(i, row, s.text if s is not None else None)
        for i, (row, s) in enumerate(zip(parsed, screened, strict=True))
        if row is not None
        and row["deprecated_id"] is None
        and row["form_id"] is not None
        and all(shared[key] == 1 for key in _record_keys(row))
    ]
    answers: dict[int, Received] = _store_new(session, new, server, keyring) if new else {}
    for i, rec in enumerate(records):
        if i not in answers:  # an edit, a record twice in the page, a refusal: one by one
            answers[i] = receive(session, rec, source=source, secret=keyring, server=server)
    return [answers[i] for i in range(len(records))]


def _parse(
    session: Session,
    rec: Any,
    screened: Screened | None,
    keyring: Keyring,
    server: str,
    source: str,
) -> dict[str, Any] | None:
    """The new version's row, or None for what only receive() may judge (it says why)."""
    if not isinstance(rec, dict):
        return None
    try:
        if screened is not None:
            raw = screened.record
        else:
            check_storable(rec)
            raw = pseudonymise(rec, keyring, contract().identifying)
        ids = identity(raw)
        asset_uid, version = server_form(raw)
        if not asset_uid:
            return None
        ref = resolve_form(session, server, asset_uid, version)
        return version_row(raw, ids, server, source, ref)
    except IntakeRejected:
        return None


def _record_keys(row: dict[str, Any]) -> list[tuple[str, str | None, object]]:
    # Two rows are versions of one record when they share a root id or a server id; two with
    # one instance id (malformed, but possible) are one submission twice.
    keys: list[tuple[str, str | None, object]] = [
        ("root", row["asset_uid"], row["root_id"]),
        ("instance", None, row["instance_id"]),
    ]
    if row["record_id"] is not None:
        keys.append(("id", row["asset_uid"], row["record_id"]))
    return keys


def _store_new(
    session: Session, new: list[_New], server: str, keyring: Keyring
) -> dict[int, Received]:
    """Answers for the records stored (or found stored) together; the rest go one by one."""
    check_key(session, keyring.fingerprint)  # a shared lock: a rotation waits for this page
    chain.lock_records(session, server, [(n.row["asset_uid"], n.lock_key) for n in new])
    try:
        with session.begin_nested():
            inserted = inserts.insert_many(session, [n.row for n in new], [n.text for n in new])
    except (DataError, IntegrityError):
        # A value the database refuses: receive() finds which record, keeps it as a dead
        # letter and stores the others.
        return {}
    answers: dict[int, Received] = {}
    for n in new:
        stored = inserted.get(n.row["instance_id"])
        if stored is None:
            continue  # already stored: a duplicate, answered below
        new_id, others = stored
        if others:  # an older version came another way (the webhook): settle the chain
            answers[n.index] = settle_chain(session, server, n.row["asset_uid"], n.record, new_id)
        else:
            answers[n.index] = Received("created", new_id, True, new_id)
    answers.update(_duplicates(session, [n for n in new if n.index not in answers]))
    return answers


def _duplicates(session: Session, known: list[_New]) -> dict[int, Received]:
    """Records whose instance id was stored already (by the unique index: a safe plan)."""
    if not known:
        return {}
    stored = store.by_instances(session, [n.row["instance_id"] for n in known])
    return {
        n.index: Received("duplicate", row.id, row.is_latest)
        for n in known
        if (row := stored.get(n.row["instance_id"])) is not None
    }
