"""Queries on submissions, the forms they belong to, and dead letters (versions: versions.py)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    case,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from core.store.models import (
    DeadLetter,
    FormVersion,
    Publication,
    PullCursor,
    Submission,
    utcnow,
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
