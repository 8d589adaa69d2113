"""Queries on submissions, their versions, the forms they belong to, and dead letters."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    case,
    func,
    or_,
    select,
    union,
    update,
)
from sqlalchemy.orm import Session, aliased

from core.store.db import advisory_lock, advisory_locks, lock_id
from core.store.models import (
    DeadLetter,
    FormVersion,
    Publication,
    PullCursor,
    Submission,
    utcnow,
)


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


def by_instance(session: Session, instance_id: str) -> Submission | None:
    """The stored version with this instance id."""
    return session.scalar(select(Submission).where(Submission.instance_id == instance_id))


def by_instances(session: Session, instance_ids: list[str]) -> dict[str, Any]:
    """(id, is_latest) rows of the stored versions with these instance ids, by instance id."""
    rows = session.execute(
        select(Submission.instance_id, Submission.id, Submission.is_latest).where(
            Submission.instance_id.in_(instance_ids)
        )
    )
    return {row.instance_id: row for row in rows}


def mark_deleted(session: Session, server: str, asset_uid: str, record_id: int) -> list[int]:
    """Mark every stored version of a record deleted upstream; return all their ids."""
    return _mark_deleted(session, server, asset_uid, Submission.record_id == record_id)


def mark_root_deleted(session: Session, server: str, asset_uid: str, root: str) -> list[int]:
    """Mark every stored version of the record with this root id deleted; return their ids."""
    return _mark_deleted(session, server, asset_uid, Submission.root_id == root)


def _mark_deleted(
    session: Session, server: str, asset_uid: str, same: ColumnElement[bool]
) -> list[int]:
    where = (Submission.server == server) & (Submission.asset_uid == asset_uid) & same
    ids = list(session.scalars(select(Submission.id).where(where)))
    session.execute(update(Submission).where(where).values(status="deleted", is_latest=False))
    return ids


def held_roots(session: Session, server: str, asset_uid: str) -> dict[str, bool]:
    """Root id -> whether it is marked deleted, for every record of a server form we hold."""
    live = func.max(case((Submission.status == "deleted", 0), else_=1))
    rows = session.execute(
        select(Submission.root_id, live)
        .where(
            Submission.server == server,
            Submission.asset_uid == asset_uid,
            Submission.root_id.is_not(None),
        )
        .group_by(Submission.root_id)
    )
    return {root: not is_live for root, is_live in rows}


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


def count_by_status(session: Session) -> dict[str, int]:
    """How many stored submissions are in each status."""
    return dict(
        session.execute(select(Submission.status, func.count()).group_by(Submission.status)).all()
    )


# -- which of our forms a server's asset is ------------------------------------------------------


def publications_of(session: Session, server: str, asset_uid: str) -> list[Any]:
    """(server version id, form version id, form id) of every publication of an asset."""
    return list(
        session.execute(
            select(Publication.server_version_id, FormVersion.id, FormVersion.form_id)
            .join(FormVersion, Publication.form_version_id == FormVersion.id)
            .where(Publication.server == server, Publication.server_form_id == asset_uid)
            .order_by(Publication.id.desc())
        ).all()
    )


# -- dead letters and problems --------------------------------------------------------------------


def add_dead_letter(session: Session, **values: Any) -> int:
    """Insert a dead letter row; return its id."""
    row = DeadLetter(**values)
    session.add(row)
    session.flush()
    return row.id


def list_dead_letters(
    session: Session, limit: int = 200, before: int | None = None
) -> list[dict[str, Any]]:
    """Recent dead letters, newest first, as JSON-able dicts (body shown as a short preview)."""
    stmt = select(DeadLetter).order_by(DeadLetter.id.desc()).limit(limit)
    if before:
        stmt = stmt.where(DeadLetter.id < before)
    rows = session.scalars(stmt)
    return [
        {
            "id": r.id,
            "received_at": r.received_at.isoformat(),
            "source": r.source,
            "reason": r.reason,
            "content_type": r.content_type,
            "bytes": len(r.body),
            "preview": r.body[:120].decode("utf-8", "replace"),
        }
        for r in rows
    ]


def list_problems(
    session: Session, limit: int = 200, before: int | None = None
) -> list[dict[str, Any]]:
    """Stored submissions that failed processing or map to no known form version."""
    stmt = (
        select(Submission)
        .where(
            Submission.is_latest.is_(True),
            or_(Submission.status == "failed", Submission.version_known.is_(False)),
        )
        .order_by(Submission.id.desc())
        .limit(limit)
    )
    if before:
        stmt = stmt.where(Submission.id < before)
    rows = session.scalars(stmt)
    out = []
    for r in rows:
        problem = r.error if r.status == "failed" else None
        if not r.version_known:
            note = f"unknown form version {r.server_version!r} of asset {r.asset_uid!r}"
            problem = f"{problem}; {note}" if problem else note
        out.append(
            {
                "id": r.id,
                "instance_id": r.instance_id,
                "record_id": r.record_id,
                "form_id": r.form_id,
                "status": r.status,
                "problem": problem,
                "received_at": r.received_at.isoformat(),
            }
        )
    return out


# -- pulls ----------------------------------------------------------------------------------------


def published_assets(
    session: Session, server: str = "kobo", form_id: str | None = None
) -> list[str]:
    """Server form ids of everything we published (optionally of one form, or one asset uid)."""
    stmt = select(Publication.server_form_id).where(Publication.server == server).distinct()
    if form_id is not None:
        stmt = stmt.join(Publication.form_version).where(
            (Publication.server_form_id == form_id) | (FormVersion.form_id == form_id)
        )
    return sorted(session.scalars(stmt))


def published_forms(
    session: Session, server: str = "kobo", form_id: str | None = None
) -> list[tuple[str, str]]:
    """(our form id, server form id) of everything we published, optionally of one form.

    `form_id` may be ours or the server's; a server form that held several of our forms (it
    should not) is named after the newest.
    """
    stmt = (
        select(FormVersion.form_id, Publication.server_form_id)
        .join(Publication.form_version)
        .where(Publication.server == server)
        .order_by(Publication.id)
    )
    if form_id is not None:
        stmt = stmt.where(
            (Publication.server_form_id == form_id) | (FormVersion.form_id == form_id)
        )
    ours = {server_id: form for form, server_id in session.execute(stmt)}
    return sorted((form, server_id) for server_id, form in ours.items())


def pull_cursor(session: Session, server: str, asset_uid: str) -> PullCursor:
    """Where the pull of one server form got to (created at zero on first use)."""
    cur = session.scalar(
        select(PullCursor).where(PullCursor.server == server, PullCursor.asset_uid == asset_uid)
    )
    if cur is None:
        cur = PullCursor(server=server, asset_uid=asset_uid, last_record_id=0)
        session.add(cur)
        session.flush()
    return cur


def held_records(session: Session, server: str, asset_uid: str) -> dict[int, tuple[str, Any]]:
    """Server record id -> (instance id, received at) of every current version we hold."""
    rows = session.execute(
        select(Submission.record_id, Submission.instance_id, Submission.received_at).where(
            Submission.server == server,
            Submission.asset_uid == asset_uid,
            Submission.is_latest.is_(True),
            Submission.record_id.is_not(None),
        )
    )
    return {r.record_id: (r.instance_id, r.received_at) for r in rows}


def intake_health(session: Session) -> dict[str, Any]:
    """When the last webhook delivery arrived, each form's last pull, counts of what is wrong."""
    last_hook = session.scalar(
        select(func.max(Submission.received_at)).where(Submission.source == "webhook")
    )
    forms = dict(
        session.execute(
            select(Publication.server_form_id, FormVersion.form_id).join(
                FormVersion, FormVersion.id == Publication.form_version_id
            )
        ).all()
    )
    pulls = [
        {
            "server": c.server,
            "asset_uid": c.asset_uid,
            "form_id": forms.get(c.asset_uid),
            "last_pull_at": c.last_pull_at.isoformat() if c.last_pull_at else None,
            "last_sweep_at": c.last_sweep_at.isoformat() if c.last_sweep_at else None,
            "last_record_id": c.last_record_id,
        }
        for c in session.scalars(
            select(PullCursor).order_by(PullCursor.server, PullCursor.asset_uid)
        )
    ]
    problems = session.scalar(
        select(func.count()).where(
            Submission.is_latest.is_(True),
            or_(Submission.status == "failed", Submission.version_known.is_(False)),
        )
    )
    return {
        "last_webhook_at": last_hook.isoformat() if last_hook else None,
        "pulls": pulls,
        "submissions": count_by_status(session),
        "dead_letters": session.scalar(select(func.count()).select_from(DeadLetter)),
        "problems": problems,
    }


def form_ids(session: Session) -> list[str]:
    """Every form we have built, by id."""
    return list(
        session.scalars(select(FormVersion.form_id).distinct().order_by(FormVersion.form_id))
    )
