"""ODK Central's trash: a submission deleted there stops counting here; a restored one counts again.

Central soft-deletes: a deleted submission leaves the default OData feed with its `updatedAt`
untouched, so the incremental pull never sees it go. Only a `$filter` naming
`__system/deletedAt` lists the trash. A restore (possible until Central purges the trash after
30 days) brings the row back, again without touching `updatedAt`. So each pull compares the trash
with what we hold, as the Kobo sweep compares its manifest.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from core.clients.central import CentralClient
from core.domain.rules import Rules
from core.domain.versions import current_version, settle
from core.store.db import session_scope
from core.store.submissions import held_roots, mark_root_deleted
from core.store.versions import lock_record, versions_of
from core.usecases.processing import retract_deleted

SERVER = "central"


@dataclass
class TrashReport:
    """What one look at a Central form's trash changed here."""

    deleted: int = 0
    restored: int = 0
    restored_ids: list[int] = field(default_factory=list)  # current versions to process again


def _bare(instance_id: str) -> str:
    # Stored root ids carry no `uuid:` prefix (core.domain.submissions.identity).
    return instance_id.strip().removeprefix("uuid:")


def apply_central_trash(
    factory: sessionmaker[Session], client: CentralClient, form_id: str, *, rules: Rules
) -> TrashReport:
    """Mark what Central deleted as deleted (facts withdrawn); bring back what it restored."""
    report = TrashReport()
    trashed = {_bare(i) for i in client.submissions.deleted_ids(form_id)}
    with factory() as session:
        held = held_roots(session, SERVER, form_id)
    for root in sorted(r for r, deleted in held.items() if not deleted and r in trashed):
        with session_scope(factory) as session:
            retract_deleted(session, mark_root_deleted(session, SERVER, form_id, root), rules)
        report.deleted += 1
    # Deleted here but no longer in the trash: restored, or purged for good. Central's count
    # tells whether any came back before the (larger) list of live ids is read.
    gone = {r for r, deleted in held.items() if deleted and r not in trashed}
    live_held = sum(1 for deleted in held.values() if not deleted) - report.deleted
    if gone and client.submissions.live_count(form_id) > live_held:
        live = {_bare(i) for i in client.submissions.live_ids(form_id)}
        for root in sorted(gone & live):
            with session_scope(factory) as session:
                sid = restore_record(session, SERVER, form_id, root)
            report.restored += 1
            if sid is not None:
                report.restored_ids.append(sid)
    return report


def restore_record(session: Session, server: str, asset_uid: str, root: str) -> int | None:
    """Make a record marked deleted current again; the id of its version to process, if any."""
    lock_record(session, server, asset_uid, root)
    versions = versions_of(session, server, asset_uid, root, None)
    if not versions or any(v.status != "deleted" for v in versions):
        return None
    for v in versions:
        v.status = "superseded"  # results gone; settling receives the current one again
    current = current_version(versions)
    by_id = {v.id: v for v in versions}
    for change in settle(versions, current.id):
        by_id[change.id].is_latest, by_id[change.id].status = change.is_latest, change.status
    session.flush()
    return current.id if current.status == "received" else None
