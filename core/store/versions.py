"""One record's versions: the lock that serialises its writers, and finding its versions.

A record is what Kobo keeps under one `_id` (Central: one root instance id); each edit is a
new stored version (a row of `submissions`), and intake, processing and the sweep all need
the others.
"""

from __future__ import annotations

from sqlalchemy import select, union
from sqlalchemy.orm import Session, aliased

from core.store.db import advisory_lock, advisory_locks, lock_id
from core.store.models import Submission


def lock_record(session: Session, server: str, asset_uid: str | None, key: object) -> None:
    """Serialise writers of one record until commit.

    Two versions of one record may arrive at once (a webhook retry carrying an edit while the
    sweep fetches it): they must see each other when choosing the current version.
    """
    advisory_lock(session, _record_lock(server, asset_uid, key))


def lock_records(session: Session, server: str, records: list[tuple[str | None, object]]) -> None:
    """lock_record() of every (asset uid, key) in one round trip, in a fixed order.

    Sorted, so two transactions locking overlapping sets (two pulls, a pull and a re-pull)
    take them in the same order and cannot deadlock on each other.
    """
    advisory_locks(session, sorted({_record_lock(server, a, k) for a, k in records}))


def record_lock_id(server: str, asset_uid: str | None, key: object) -> int:
    """The advisory lock id lock_record() takes (for a statement that takes it itself)."""
    return lock_id(_record_lock(server, asset_uid, key))


def _record_lock(server: str, asset_uid: str | None, key: object) -> str:
    return f"record:{server}:{asset_uid}:{key}"


def versions_of(
    session: Session, server: str, asset_uid: str | None, root: str, record_id: int | None
) -> list[Submission]:
    """Every stored version of one record: the same root id, or the same server `_id`."""
    # Each half finds its rows by its own index (root_id; server, asset_uid, record_id). As
    # one OR with the asset, SQLite (and PostgreSQL without statistics) read every row of the
    # form instead, on every delivery and every processed submission. A row of another server
    # or form with the same root id (a UUID: none in practice) is dropped here.
    ids = select(Submission.id).where(Submission.root_id == root)
    if record_id is not None:
        ids = union(
            ids,
            select(Submission.id).where(
                Submission.server == server,
                Submission.asset_uid == asset_uid,
                Submission.record_id == record_id,
            ),
        )
    rows = session.scalars(select(Submission).where(Submission.id.in_(ids)))
    return [r for r in rows if r.server == server and r.asset_uid == asset_uid]


def other_version_ids(session: Session, submissions: list[Submission]) -> dict[int, list[int]]:
    """The ids of every other stored version of each submission's record, by submission id.

    What versions_of() finds for one record, for a whole unit of work in one statement, each
    half on its own index as there: the root ids (root_id), the server `_id`s (server,
    asset_uid, record_id).
    """
    if not submissions:
        return {}
    roots = {s.root_id or s.instance_id for s in submissions}
    halves = [select(*_VERSION_COLUMNS).where(Submission.root_id.in_(sorted(roots)))]
    with_record = [s for s in submissions if s.record_id is not None]
    if keyed := sorted(s.id for s in with_record if s.asset_uid is not None):
        # Joined to the submissions themselves, not `record_id IN (…)`: with that list,
        # PostgreSQL without statistics yet (a new district's first backfill) put only server
        # and asset_uid in the index condition and filtered every row of the form, 100-200 ms
        # a unit of work at 100,000 rows. Joined, each lookup has all three columns.
        me = aliased(Submission)
        same_record = (
            (Submission.server == me.server)
            & (Submission.asset_uid == me.asset_uid)
            & (Submission.record_id == me.record_id)
        )
        halves.append(select(*_VERSION_COLUMNS).join(me, same_record).where(me.id.in_(keyed)))
    by_server: dict[str, set[int]] = {}
    for s in with_record:
        if s.asset_uid is None:  # no asset: what versions_of matches with asset_uid IS NULL
            by_server.setdefault(s.server, set()).add(s.record_id)
    for server, record_ids in sorted(by_server.items()):
        halves.append(
            select(*_VERSION_COLUMNS).where(
                Submission.server == server,
                Submission.asset_uid.is_(None),
                Submission.record_id.in_(sorted(record_ids)),
            )
        )
    rows = session.execute(union(*halves) if len(halves) > 1 else halves[0]).all()
    found: dict[int, list[int]] = {}
    for s in submissions:
        root = s.root_id or s.instance_id
        found[s.id] = sorted(
            {
                r.id
                for r in rows
                if r.id != s.id
                and r.server == s.server
                and r.asset_uid == s.asset_uid
                and (r.root_id == root or (s.record_id is not None and r.record_id == s.record_id))
            }
        )
    return found


_VERSION_COLUMNS = (
    Submission.id,
    Submission.server,
    Submission.asset_uid,
    Submission.root_id,
    Submission.record_id,
)
