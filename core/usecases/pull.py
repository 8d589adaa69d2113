"""Pull what webhooks missed, and sweep for edits and deletions Kobo never announces."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from core.clients.central import CentralClient, CentralSubmission, Watermark
from core.clients.kobo import KoboClient, KoboNotFound
from core.domain.privacy import pseudonymise
from core.store.db import session_scope
from core.store.locks import LockBusy, lease, renew
from core.store.models import Publication, PullCursor, Submission, utcnow
from core.usecases.intake import IntakeRejected, dead_letter, ingest, make_current, mark_deleted
from core.usecases.processing import Downstream, retract_deleted

LEASE = timedelta(minutes=10)
# Records stored per transaction: short transactions keep SQLite's single write lock free for
# the webhook between chunks (a 1,000-record page held it for seconds).
CHUNK = 100


def _with_retries(
    factory: sessionmaker[Session], work: Callable[[Session], Any], tries: int = 5
) -> Any:
    """Run work in its own unit of work, retrying while the database is busy (locked)."""
    for attempt in range(tries):
        try:
            with session_scope(factory) as session:
                return work(session)
        except OperationalError:
            if attempt == tries - 1:
                raise
            time.sleep(0.5 * 2**attempt)
    raise AssertionError("unreachable")


Progress = Callable[[str], None]
NewIds = Callable[[list[int]], None]


@dataclass
class PullReport:
    """What one pull of one server form did."""

    server: str
    asset_uid: str
    fetched: int = 0
    created: int = 0
    duplicates: int = 0
    rejected: int = 0
    pages: int = 0
    cursor: str = ""
    new_ids: list[int] = field(default_factory=list)


@dataclass
class SweepReport:
    """What one sweep of one Kobo form found and did."""

    asset_uid: str
    checked: int = 0
    edits: int = 0
    missing: int = 0
    deleted: int = 0
    new_ids: list[int] = field(default_factory=list)


def published_assets(
    session: Session, server: str = "kobo", form_id: str | None = None
) -> list[str]:
    """Server form ids of everything we published (optionally of one form, or one asset uid)."""
    stmt = select(Publication.server_form_id).where(Publication.server == server).distinct()
    assets = list(session.scalars(stmt))
    if form_id is None:
        return sorted(assets)
    by_form = list(
        session.scalars(
            select(Publication.server_form_id)
            .join(Publication.form_version)
            .where(Publication.server == server)
            .where(
                (Publication.server_form_id == form_id)
                | (Publication.form_version.has(form_id=form_id))
            )
            .distinct()
        )
    )
    return sorted(by_form)


def _cursor(session: Session, server: str, asset_uid: str) -> PullCursor:
    cur = session.scalar(
        select(PullCursor).where(PullCursor.server == server, PullCursor.asset_uid == asset_uid)
    )
    if cur is None:
        cur = PullCursor(server=server, asset_uid=asset_uid, last_record_id=0)
        session.add(cur)
        session.flush()
    return cur


@dataclass
class IngestCounts:
    """Tally of one batch of stored records."""

    created: int = 0
    duplicates: int = 0
    rejected: int = 0


def store_or_dead_letter(
    session: Session,
    rec: Any,
    source: str,
    server: str,
    secret: bytes,
    report: Any,
    context: str = "",
) -> int | None:
    """Store one record (own savepoint) or dead-letter it; return an id to process, if any."""
    if not isinstance(rec, dict):
        dead_letter(
            session,
            source=source,
            reason=f"{context}: not a JSON object".lstrip(": "),
            body=_dead_letter_body(rec, secret),
            content_type="application/json",
        )
        report.rejected += 1
        return None
    try:
        # A savepoint per record: one record the database refuses must not roll back (and so
        # block for ever) the rest of its page and the cursor.
        with session.begin_nested():
            result = ingest(session, rec, source=source, server=server, secret=secret)
    except (IntakeRejected, DataError, IntegrityError) as exc:
        reason = (
            exc.reason
            if isinstance(exc, IntakeRejected)
            else (f"a value cannot be stored: {exc.orig.__class__.__name__}")
        )
        if context:
            reason = f"{context}: {reason}"
        dead_letter(
            session,
            source=source,
            reason=reason,
            body=_dead_letter_body(rec, secret),
            content_type="application/json",
        )
        report.rejected += 1
        return None
    if result.outcome == "duplicate":
        report.duplicates += 1
        return None
    report.created += 1
    return result.process_id


def _dead_letter_body(rec: Any, secret: bytes) -> bytes:
    # Pseudonymise first: a refused record still carries the family's KK number in clear.
    try:
        return json.dumps(pseudonymise(rec, secret), ensure_ascii=False).encode(
            "utf-8", "backslashreplace"
        )
    except (TypeError, ValueError, RecursionError):
        return repr(rec).encode("utf-8", "backslashreplace")


def _store_chunk(
    chunk: list[dict[str, Any]],
    asset_uid: str,
    secret: bytes,
    cursor_to: int | None,
    session: Session,
) -> tuple[list[int], IngestCounts]:
    counts = IngestCounts()
    ids = []
    for rec in chunk:
        sid = store_or_dead_letter(session, rec, "pull", "kobo", secret, counts)
        if sid is not None:
            ids.append(sid)
    if cursor_to is not None:
        cursor = _cursor(session, "kobo", asset_uid)
        cursor.last_record_id = max(cursor.last_record_id, cursor_to)
        cursor.last_pull_at = utcnow()
    return ids, counts


def pull_kobo(
    factory: sessionmaker[Session],
    client: KoboClient,
    asset_uid: str,
    *,
    secret: bytes,
    since: str | None = None,
    progress: Progress | None = None,
    on_new: NewIds | None = None,
) -> PullReport:
    """Fetch records with `_id` above our cursor (or since a date/id), committing per page."""
    report = PullReport("kobo", asset_uid)
    with lease(factory, f"pull:kobo:{asset_uid}", LEASE) as owner:
        with session_scope(factory) as session:
            start = _cursor(session, "kobo", asset_uid).last_record_id
        query: dict[str, Any] = {}
        if since is not None and since.isdigit():
            start = int(since)
        elif since is not None:
            start, query = 0, {"_submission_time": {"$gte": since}}
        for page in client.data.iter_after(asset_uid, start, query=query, page_size=1000):
            new_ids: list[int] = []
            top = max((r["_id"] for r in page.results if isinstance(r.get("_id"), int)), default=0)
            chunks = [page.results[i : i + CHUNK] for i in range(0, len(page.results), CHUNK)]
            for n, chunk in enumerate(chunks or [[]]):
                # The cursor moves with the page's last chunk: a crash re-reads at most one
                # page, and what was already stored comes back as duplicates.
                cursor_to = top if n == max(len(chunks), 1) - 1 else None
                ids, counts = _with_retries(
                    factory, partial(_store_chunk, chunk, asset_uid, secret, cursor_to)
                )
                new_ids.extend(ids)
                report.fetched += len(chunk)
                report.created += counts.created
                report.duplicates += counts.duplicates
                report.rejected += counts.rejected
            with factory() as session:
                report.cursor = str(_cursor(session, "kobo", asset_uid).last_record_id)
            report.pages += 1
            report.new_ids.extend(new_ids)
            if on_new and new_ids:
                on_new(new_ids)
            if progress:
                progress(
                    f"{asset_uid}: page {report.pages}, "
                    f"{report.fetched} records, {report.created} new"
                )
            if not renew(factory, f"pull:kobo:{asset_uid}", owner, LEASE):
                raise LockBusy(f"pull of {asset_uid} lost its lease; another pull took over")
    return report


def sweep_kobo(
    factory: sessionmaker[Session],
    client: KoboClient,
    asset_uid: str,
    *,
    secret: bytes,
    downstream: Downstream,
    progress: Progress | None = None,
    on_new: NewIds | None = None,
) -> SweepReport:
    """Compare Kobo's manifest (`_id`, `_uuid`) with what we hold: fetch edits, mark deletions."""
    report = SweepReport(asset_uid)
    name = f"sweep:kobo:{asset_uid}"
    with lease(factory, name, LEASE) as owner:
        started = utcnow()
        with factory() as session:
            held = {
                r.record_id: (r.instance_id, r.received_at)
                for r in session.execute(
                    select(
                        Submission.record_id, Submission.instance_id, Submission.received_at
                    ).where(
                        Submission.server == "kobo",
                        Submission.asset_uid == asset_uid,
                        Submission.is_latest.is_(True),
                        Submission.record_id.is_not(None),
                    )
                )
            }
        seen: set[int] = set()
        to_fetch: list[int] = []
        for entry in client.data.manifest(asset_uid):
            report.checked += 1
            seen.add(entry.id)
            mine = held.get(entry.id)
            if mine is None:
                report.missing += 1
                to_fetch.append(entry.id)
            elif mine[0] != entry.uuid.removeprefix("uuid:"):
                report.edits += 1
                to_fetch.append(entry.id)
        if progress:
            progress(
                f"{asset_uid}: {report.checked} on the server, "
                f"{report.edits} edited, {report.missing} not held"
            )
        for n, record_id in enumerate(to_fetch):
            if n % 200 == 199 and not renew(factory, name, owner, LEASE):
                raise LockBusy(f"sweep of {asset_uid} lost its lease")
            try:
                rec = client.data.get_submission(asset_uid, record_id)
            except KoboNotFound:
                continue  # deleted since the manifest was read: the next sweep sees it gone
            with session_scope(factory) as session:
                sid = store_or_dead_letter(session, rec, "sweep", "kobo", secret, IngestCounts())
                if sid is None:
                    # Already stored but not current (an older edit won the chain): the server
                    # says this version is the current one.
                    instance = (rec.get("meta/instanceID") or rec.get("_uuid") or "").removeprefix(
                        "uuid:"
                    )
                    row = session.scalar(
                        select(Submission).where(Submission.instance_id == instance)
                    )
                    if row is not None and make_current(session, row.id):
                        sid = row.id
            if sid is not None:
                report.new_ids.append(sid)
        if on_new and report.new_ids:
            on_new(report.new_ids)
        # Held before the manifest was read yet absent from it: deleted on the server. A record
        # stored after `started` may postdate the manifest, so it is left for the next sweep.
        gone = [
            rid
            for rid, (_, received) in held.items()
            if rid not in seen and _aware(received) < started
        ]
        for record_id in gone:
            # Ask once more before withdrawing anything: only a 404 is a deletion.
            try:
                client.data.get_submission(asset_uid, record_id)
                continue
            except KoboNotFound:
                pass
            with session_scope(factory) as session:
                latest_ids = mark_deleted(session, "kobo", asset_uid, record_id)
                retract_deleted(session, latest_ids, downstream)
                downstream.done(session)
            report.deleted += 1
        with session_scope(factory) as session:
            _cursor(session, "kobo", asset_uid).last_sweep_at = utcnow()
    return report


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every one we store is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# -- ODK Central ----------------------------------------------------------------------------------


def central_to_kobo_dict(sub: CentralSubmission, form_id: str) -> dict[str, Any]:
    """Flatten a Central OData row into Kobo's submission-dict shape, so one intake serves both."""
    out: dict[str, Any] = {}

    def walk(node: dict[str, Any], prefix: str, into: dict[str, Any]) -> None:
        for key, value in node.items():
            if key.startswith("__") or key.startswith("@"):
                continue
            path = f"{prefix}{key}"
            if isinstance(value, dict):
                walk(value, path + "/", into)
            elif isinstance(value, list):
                rows = []
                for item in value:
                    row: dict[str, Any] = {}
                    if isinstance(item, dict):
                        walk(item, path + "/", row)
                    if row:
                        rows.append(row)
                if rows:
                    into[path] = rows
            elif value is None or value == "":
                continue  # unanswered: absent, as Kobo sends it
            elif isinstance(value, bool):
                into[path] = "true" if value else "false"
            else:
                into[path] = _central_scalar(value)

    walk(sub.data, "", out)
    out["meta/instanceID"] = sub.instance_id
    out["meta/rootUuid"] = sub.id
    out["_xform_id_string"] = form_id
    if sub.form_version:
        out["__version__"] = sub.form_version
    submitted = sub.submission_date
    if submitted.tzinfo is not None:
        submitted = submitted.astimezone(UTC)
    out["_submission_time"] = submitted.strftime("%Y-%m-%dT%H:%M:%S")  # Kobo's shape: UTC
    return out


def _central_scalar(value: Any) -> str:
    if isinstance(value, dict) and value.get("type") == "Point":
        lon, lat, *rest = value.get("coordinates", [0, 0])
        return " ".join(str(v) for v in [lat, lon, *(rest or [0]), 0])
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def pull_central(
    factory: sessionmaker[Session],
    client: CentralClient,
    form_id: str,
    *,
    secret: bytes,
    progress: Progress | None = None,
    on_new: NewIds | None = None,
) -> PullReport:
    """Fetch new and edited submissions by `__system/updatedAt`, with a stored watermark."""
    report = PullReport("central", form_id)
    with lease(factory, f"pull:central:{form_id}", LEASE) as owner:
        with session_scope(factory) as session:
            mark_json = _cursor(session, "central", form_id).last_updated_at
        feed = client.submissions.changes(
            form_id, Watermark.from_json(mark_json) if mark_json else None
        )
        batch: list[CentralSubmission] = []

        def flush(final: bool = False) -> None:
            new_ids: list[int] = []
            with session_scope(factory) as session:
                for sub in batch:
                    report.fetched += 1
                    sid = store_or_dead_letter(
                        session,
                        central_to_kobo_dict(sub, form_id),
                        "pull",
                        "central",
                        secret,
                        report,
                    )
                    if sid is not None:
                        new_ids.append(sid)
                cursor = _cursor(session, "central", form_id)
                # Rows come in submissionDate order while the watermark is the latest change
                # time, so it is only safe to store once the whole feed was read.
                if final and feed.watermark is not None:
                    cursor.last_updated_at = feed.watermark.to_json()
                cursor.last_pull_at = utcnow()
            batch.clear()
            report.pages += 1
            report.new_ids.extend(new_ids)
            if on_new and new_ids:
                on_new(new_ids)
            if progress:
                progress(f"{form_id}: {report.fetched} records, {report.created} new or edited")
            renew(factory, f"pull:central:{form_id}", owner, LEASE)

        for sub in feed:
            if sub.deleted_at is not None:
                continue
            batch.append(sub)
            if len(batch) >= 500:
                flush()
        flush(final=True)
    return report
