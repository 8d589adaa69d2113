"""Pull what webhooks missed: Kobo by `_id` above a cursor, ODK Central by `updatedAt`.

One dispatcher (`pull`) for both servers. Records are stored through the same door as the
webhook (`core.usecases.intake.receive`, or `page_intake` for a page of new records), in short
transactions. The cursor moves only once a page is stored (with its last chunk, or on
PostgreSQL, where a page's chunks are stored side by side, right after them), so a crash
re-reads at most one page and what was stored comes back as duplicates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from core.clients.central import CentralClient, CentralSubmission, Watermark
from core.clients.kobo import KoboClient
from core.domain.privacy import Keyring
from core.domain.rules import Rules
from core.domain.screening import Screened
from core.store.db import run_unit
from core.store.locks import LockBusy, lease, renew
from core.store.models import utcnow
from core.store.submissions import pull_cursor
from core.usecases.central_rows import central_to_kobo_dict
from core.usecases.central_trash import apply_central_trash
from core.usecases.intake import IntakeCounts
from core.usecases.page_intake import receive_page, screen_page
from core.usecases.prefetch import prefetched
from core.usecases.pull_args import Since, mark_after_since, parse_since

# Renewed by the lease's heartbeat while the pull runs: a killed pull's lease lapses quickly.
LEASE = timedelta(seconds=60)
# Records stored per transaction: short transactions keep SQLite's single write lock free for
# the webhook between chunks (a 1,000-record page held it for seconds).
CHUNK = 500
# Chunks of a page stored side by side on PostgreSQL (see _writers).
WRITERS = 2
CENTRAL_BATCH = 500

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
    deleted: int = 0  # Central: records moved to the trash there, withdrawn here
    restored: int = 0  # Central: records brought back from the trash

    def count(self, counts: IntakeCounts) -> None:
        """Add a stored chunk's tally."""
        self.created += counts.created
        self.duplicates += counts.duplicates
        self.rejected += counts.rejected


@dataclass
class Puller:
    """One pull of one server form: the lease it holds and where new records are announced."""

    factory: sessionmaker[Session]
    report: PullReport
    secret: bytes | Keyring
    owner: str = ""
    progress: Progress | None = None
    on_new: NewIds | None = None

    @property
    def lease_name(self) -> str:
        """The lease that keeps two pulls of this form apart."""
        return f"pull:{self.report.server}:{self.report.asset_uid}"

    def store(
        self,
        records: list[Any],
        move_cursor: Callable[[Session], None] | None = None,
        screened: Sequence[Screened | None] | None = None,
    ) -> list[int]:
        """Store records (and move the cursor) in one short unit of work; ids to process."""
        return self.tally(records, self.store_unit(records, move_cursor, screened))

    def store_unit(
        self,
        records: list[Any],
        move_cursor: Callable[[Session], None] | None = None,
        screened: Sequence[Screened | None] | None = None,
    ) -> tuple[list[int], IntakeCounts]:
        """store() without the tally: safe to run in a writer thread."""
        server, secret = self.report.server, self.secret
        work = partial(_store_chunk, records, server, secret, move_cursor, screened)
        return run_unit(self.factory, work)

    def tally(self, records: list[Any], stored: tuple[list[int], IntakeCounts]) -> list[int]:
        """Count a stored chunk in the report; its ids to process."""
        ids, counts = stored
        self.report.fetched += len(records)
        self.report.count(counts)
        return ids

    def hand_over(self, new_ids: list[int]) -> None:
        """Hand stored ids to processing."""
        self.report.new_ids.extend(new_ids)
        if self.on_new and new_ids:
            self.on_new(new_ids)

    def announce(self, new_ids: list[int], line: str) -> None:
        """Hand a page's new ids to processing, report progress and keep the lease alive."""
        self.report.pages += 1
        self.hand_over(new_ids)
        if self.progress:
            self.progress(line)
        if not renew(self.factory, self.lease_name, self.owner, LEASE):
            raise LockBusy(f"pull of {self.report.asset_uid} lost its lease; another took over")


def _store_chunk(
    records: list[Any],
    server: str,
    secret: bytes | Keyring,
    move_cursor: Callable[[Session], None] | None,
    screened: Sequence[Screened | None] | None,
    session: Session,
) -> tuple[list[int], IntakeCounts]:
    counts = IntakeCounts()
    ids = []
    answers = receive_page(
        session, records, source="pull", server=server, secret=secret, screened=screened
    )
    for received in answers:
        counts.add(received)
        if received.process_id is not None:
            ids.append(received.process_id)
    if move_cursor is not None:
        move_cursor(session)
    return ids, counts


@contextmanager
def _pulling(
    factory: sessionmaker[Session],
    server: str,
    asset_uid: str,
    secret: bytes | Keyring,
    **hooks: Any,
) -> Iterator[Puller]:
    puller = Puller(factory, PullReport(server, asset_uid), secret, **hooks)
    with lease(factory, puller.lease_name, LEASE) as owner:
        puller.owner = owner
        yield puller


def pull(
    factory: sessionmaker[Session],
    client: KoboClient | CentralClient,
    asset_uid: str,
    *,
    secret: bytes | Keyring,
    rules: Rules,
    since: str | Since | None = None,
    progress: Progress | None = None,
    on_new: NewIds | None = None,
) -> PullReport:
    """Pull one published form from the server its client talks to.

    `rules` withdraw the results of submissions deleted on Central (Kobo's are the sweep's).
    `since` (a record id or a date; for Central a date) reads from there instead of the cursor.
    """
    if isinstance(client, CentralClient):
        start = parse_since(since, "central") if isinstance(since, str) else since
        return pull_central(
            factory,
            client,
            asset_uid,
            secret=secret,
            rules=rules,
            since=start if isinstance(start, datetime) else None,
            progress=progress,
            on_new=on_new,
        )
    return pull_kobo(
        factory, client, asset_uid, secret=secret, since=since, progress=progress, on_new=on_new
    )


# -- Kobo -----------------------------------------------------------------------------------------


def pull_kobo(
    factory: sessionmaker[Session],
    client: KoboClient,
    asset_uid: str,
    *,
    secret: bytes | Keyring,
    since: str | Since | None = None,
    progress: Progress | None = None,
    on_new: NewIds | None = None,
) -> PullReport:
    """Fetch records with `_id` above our cursor (or since a date/id), committing per page."""
    given = parse_since(since) if isinstance(since, str) else since
    with _pulling(factory, "kobo", asset_uid, secret, progress=progress, on_new=on_new) as p:
        start = run_unit(factory, lambda s: pull_cursor(s, "kobo", asset_uid).last_record_id)
        query: dict[str, Any] = {}
        if isinstance(given, int):
            start = given
        elif isinstance(given, datetime):
            # Kobo keeps `_submission_time` as UTC text without an offset: compare alike.
            stamp = given.strftime("%Y-%m-%dT%H:%M:%S")
            start, query = 0, {"_submission_time": {"$gte": stamp}}
        pages = client.data.iter_after(asset_uid, start, query=query, page_size=1000)
        # The next page is read and screened (a pure step) in a thread while the database
        # stores this one.
        with _writers(factory) as writers:
            for page, screened in prefetched(_screened(pages, secret)):
                new_ids = _store_kobo_page(p, asset_uid, page.results, screened, writers)
                p.report.cursor = str(run_unit(factory, partial(_cursor_value, asset_uid)))
                p.announce(
                    new_ids,
                    f"{asset_uid}: page {p.report.pages + 1}, "
                    f"{p.report.fetched} records, {p.report.created} new",
                )
        return p.report


def _screened(pages: Iterable[Any], secret: bytes | Keyring) -> Iterator[tuple[Any, list[Any]]]:
    for page in pages:
        yield page, screen_page(page.results, secret)


@contextmanager
def _writers(factory: sessionmaker[Session]) -> Iterator[ThreadPoolExecutor | None]:
    """Threads that store a page's chunks side by side, on PostgreSQL only.

    While one chunk's INSERT runs on the server, the other chunk's rows are built here, and
    the server works on both at once. SQLite has one writer at a time: nothing to gain.
    """
    bind = factory.kw.get("bind")
    if bind is None or bind.dialect.name != "postgresql":
        yield None
        return
    with ThreadPoolExecutor(max_workers=WRITERS, thread_name_prefix="pull-writer") as pool:
        yield pool


def _store_kobo_page(
    p: Puller,
    asset_uid: str,
    results: list[Any],
    screened: list[Screened | None],
    writers: ThreadPoolExecutor | None,
) -> list[int]:
    top = max((r["_id"] for r in results if isinstance(r.get("_id"), int)), default=0)
    move = partial(_move_kobo_cursor, asset_uid, top)
    starts = range(0, len(results), CHUNK) or range(1)  # an empty page still moves the cursor
    chunks = [(results[i : i + CHUNK], screened[i : i + CHUNK]) for i in starts]
    new_ids: list[int] = []
    try:
        if writers is None or len(chunks) < 2:
            for n, (chunk, screened_chunk) in enumerate(chunks, start=1):
                # The cursor moves with the page's last chunk: a crash re-reads at most one
                # page, and what was already stored comes back as duplicates.
                last = n == len(chunks)
                new_ids += p.store(chunk, move if last else None, screened_chunk)
            return new_ids
        _store_side_by_side(p, chunks, writers, new_ids)
        run_unit(p.factory, move)
        return new_ids
    except Exception:
        # What the page's other chunks stored goes to processing now, not when
        # process_pending finds it (the cursor stayed: the page comes back as duplicates).
        p.hand_over(new_ids)
        raise


def _store_side_by_side(
    p: Puller,
    chunks: list[tuple[list[Any], list[Screened | None]]],
    writers: ThreadPoolExecutor,
    new_ids: list[int],
) -> None:
    """Store a page's chunks at once (the cursor moves after, in a unit of its own).

    Every chunk ends (stored or failed) before the first error is raised, so no unit outlives
    the pull; new_ids gets the ids of every chunk that was stored.
    """
    futures = [writers.submit(p.store_unit, chunk, None, sc) for chunk, sc in chunks]
    wait(futures)
    for (chunk, _), future in zip(chunks, futures, strict=True):
        if future.exception() is None:
            new_ids += p.tally(chunk, future.result())
    for future in futures:
        if (error := future.exception()) is not None:
            raise error


def _move_kobo_cursor(asset_uid: str, top: int, session: Session) -> None:
    cursor = pull_cursor(session, "kobo", asset_uid)
    cursor.last_record_id = max(cursor.last_record_id, top)
    cursor.last_pull_at = utcnow()


def _cursor_value(asset_uid: str, session: Session) -> int:
    return pull_cursor(session, "kobo", asset_uid).last_record_id


# -- ODK Central ----------------------------------------------------------------------------------


def pull_central(
    factory: sessionmaker[Session],
    client: CentralClient,
    form_id: str,
    *,
    secret: bytes | Keyring,
    rules: Rules,
    since: datetime | None = None,
    progress: Progress | None = None,
    on_new: NewIds | None = None,
) -> PullReport:
    """Fetch new and edited submissions by `__system/updatedAt`, then apply Central's trash.

    Deleted submissions never show in the `updatedAt` feed: `apply_central_trash` marks them
    deleted (their facts withdrawn) and makes restored ones current again. `since` reads
    every change from that time instead of from the stored watermark.
    """
    with _pulling(factory, "central", form_id, secret, progress=progress, on_new=on_new) as p:
        mark = run_unit(factory, lambda s: pull_cursor(s, "central", form_id).last_updated_at)
        start = Watermark(since) if since is not None else None
        if start is None and mark:
            start = Watermark.from_json(mark)
        feed = client.submissions.changes(form_id, start)
        for batch, final in _batches(s for s in feed if s.deleted_at is None):
            records = [central_to_kobo_dict(sub, form_id) for sub in batch]
            # Rows come newest first while the watermark is a change time, so it is only
            # safe to store once the whole feed was read.
            watermark = feed.watermark if final else None
            if since is not None and final:
                watermark = mark_after_since(mark, watermark, since, p.report.fetched + len(batch))
            new_ids = p.store(records, partial(_move_central_cursor, form_id, watermark))
            p.announce(
                new_ids, f"{form_id}: {p.report.fetched} records, {p.report.created} new or edited"
            )
        trash = apply_central_trash(factory, client, form_id, rules=rules)
        p.report.deleted, p.report.restored = trash.deleted, trash.restored
        p.report.new_ids.extend(trash.restored_ids)
        if on_new and trash.restored_ids:
            on_new(trash.restored_ids)
        if progress and (trash.deleted or trash.restored):
            progress(f"{form_id}: {trash.deleted} deleted on the server, {trash.restored} restored")
        return p.report


def _batches(
    subs: Iterable[CentralSubmission],
) -> Iterator[tuple[list[CentralSubmission], bool]]:
    batch: list[CentralSubmission] = []
    for sub in subs:
        batch.append(sub)
        if len(batch) >= CENTRAL_BATCH:
            yield batch, False
            batch = []
    yield batch, True


def _move_central_cursor(form_id: str, watermark: Watermark | None, session: Session) -> None:
    cursor = pull_cursor(session, "central", form_id)
    if watermark is not None:
        cursor.last_updated_at = watermark.to_json()
    cursor.last_pull_at = utcnow()
