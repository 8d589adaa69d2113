"""Sweep a Kobo form for the edits and deletions Kobo never announces.

Kobo has no modified time and fires no hook on an edit, and deletions are hard deletes: the
only way to find either is to compare its light manifest (`_id`, `_uuid`) with what we hold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from core.clients.kobo import KoboClient, KoboNotFound
from core.domain.privacy import Keyring
from core.domain.rules import Rules
from core.store.db import session_scope
from core.store.locks import LockBusy, lease, renew
from core.store.models import utcnow
from core.store.submissions import by_instance, held_records, mark_deleted, pull_cursor
from core.usecases.intake import make_current, receive
from core.usecases.processing import retract_deleted
from core.usecases.pull import LEASE, NewIds, Progress


@dataclass
class SweepReport:
    """What one sweep of one Kobo form found and did."""

    asset_uid: str
    checked: int = 0
    edits: int = 0
    missing: int = 0
    deleted: int = 0
    new_ids: list[int] = field(default_factory=list)


@dataclass
class _Sweep:
    factory: sessionmaker[Session]
    client: KoboClient
    report: SweepReport
    secret: bytes | Keyring
    owner: str

    @property
    def lease_name(self) -> str:
        return f"sweep:kobo:{self.report.asset_uid}"


def sweep_kobo(
    factory: sessionmaker[Session],
    client: KoboClient,
    asset_uid: str,
    *,
    secret: bytes | Keyring,
    rules: Rules,
    progress: Progress | None = None,
    on_new: NewIds | None = None,
) -> SweepReport:
    """Compare Kobo's manifest (`_id`, `_uuid`) with what we hold: fetch edits, mark deletions."""
    report = SweepReport(asset_uid)
    with lease(factory, f"sweep:kobo:{asset_uid}", LEASE) as owner:
        sweep = _Sweep(factory, client, report, secret, owner)
        started = utcnow()
        with factory() as session:
            held = held_records(session, "kobo", asset_uid)
        seen, to_fetch = _compare_manifest(sweep, held)
        if progress:
            progress(
                f"{asset_uid}: {report.checked} on the server, "
                f"{report.edits} edited, {report.missing} not held"
            )
        try:
            _fetch_changed(sweep, to_fetch)
        except Exception:
            _hand_over(report, on_new)  # what was stored before the failure is processed now
            raise
        _hand_over(report, on_new)
        # Held before the manifest was read yet absent from it: deleted on the server. A record
        # stored after `started` may postdate the manifest, so it is left for the next sweep.
        gone = [rid for rid, (_, at) in held.items() if rid not in seen and _aware(at) < started]
        _apply_deletions(sweep, gone, rules)
        with session_scope(factory) as session:
            pull_cursor(session, "kobo", asset_uid).last_sweep_at = utcnow()
    return report


def _hand_over(report: SweepReport, on_new: NewIds | None) -> None:
    if on_new and report.new_ids:
        on_new(report.new_ids)


def _compare_manifest(sweep: _Sweep, held: dict[int, Any]) -> tuple[set[int], list[int]]:
    report = sweep.report
    seen: set[int] = set()
    to_fetch: list[int] = []
    for entry in sweep.client.data.manifest(report.asset_uid):
        report.checked += 1
        seen.add(entry.id)
        mine = held.get(entry.id)
        if mine is None:
            report.missing += 1
            to_fetch.append(entry.id)
        elif mine[0] != entry.uuid.removeprefix("uuid:"):
            report.edits += 1
            to_fetch.append(entry.id)
    return seen, to_fetch


def _fetch_changed(sweep: _Sweep, record_ids: list[int]) -> None:
    asset_uid = sweep.report.asset_uid
    for n, record_id in enumerate(record_ids):
        if n % 200 == 199 and not renew(sweep.factory, sweep.lease_name, sweep.owner, LEASE):
            raise LockBusy(f"sweep of {asset_uid} lost its lease")
        try:
            rec = sweep.client.data.get_submission(asset_uid, record_id)
        except KoboNotFound:
            continue  # deleted since the manifest was read: the next sweep sees it gone
        with session_scope(sweep.factory) as session:
            sid = _store_current(session, rec, sweep.secret)
        if sid is not None:
            sweep.report.new_ids.append(sid)


def _store_current(session: Session, rec: dict[str, Any], secret: bytes | Keyring) -> int | None:
    received = receive(session, rec, source="sweep", server="kobo", secret=secret)
    if received.process_id is not None:
        return received.process_id
    if received.outcome == "rejected":
        return None
    # Stored but not current (an older edit won the chain): the server says this version is
    # the current one.
    instance = (rec.get("meta/instanceID") or rec.get("_uuid") or "").removeprefix("uuid:")
    row = by_instance(session, instance)
    return row.id if row is not None and make_current(session, row.id) else None


def _apply_deletions(sweep: _Sweep, record_ids: list[int], rules: Rules) -> None:
    asset_uid = sweep.report.asset_uid
    for record_id in record_ids:
        # Ask once more before withdrawing anything: only a 404 is a deletion.
        try:
            sweep.client.data.get_submission(asset_uid, record_id)
            continue
        except KoboNotFound:
            pass
        with session_scope(sweep.factory) as session:
            version_ids = mark_deleted(session, "kobo", asset_uid, record_id)
            retract_deleted(session, version_ids, rules)
        sweep.report.deleted += 1


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every one we store is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
