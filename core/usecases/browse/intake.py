"""Intake health and the forms, for admins: what came in, what did not, what is published."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.store import submissions
from core.usecases.browse.errors import NotVisible
from core.usecases.browse.paging import Page, decode_cursor, page_of
from core.usecases.build import list_versions
from core.usecases.publish.records import list_publications


def health(session: Session) -> dict[str, Any]:
    """Last webhook delivery, last pull per form, submissions by status, what went wrong."""
    return submissions.intake_health(session)


def dead_letters(session: Session, *, cursor: str | None, limit: int) -> Page:
    """Payloads refused at the door, newest first (reason and size; the body stays stored)."""
    rows = submissions.list_dead_letters(session, limit + 1, decode_cursor(cursor, int))
    keep = ("id", "received_at", "source", "reason", "content_type", "bytes")
    return page_of(rows, limit, lambda r: r["id"], lambda r: {k: r[k] for k in keep})


def problems(session: Session, *, cursor: str | None, limit: int) -> Page:
    """Stored submissions that failed or map to no known form version, newest first."""
    rows = submissions.list_problems(session, limit + 1, decode_cursor(cursor, int))
    return page_of(rows, limit, lambda r: r["id"], lambda r: r)


def publication_json(p: Any) -> dict[str, Any]:
    """A publication as the API and `forms versions --json` show it."""
    return {
        "version": p.version,
        "server": p.server,
        "server_url": p.server_url,
        "server_form_id": p.server_form_id,
        "server_version_id": p.server_version_id,
        "status": p.status,
        "published_at": p.published_at.isoformat() if p.published_at else None,
        "published_by": p.published_by,
        "forced_reason": p.forced_reason,
    }


def form_list(session: Session, *, cursor: str | None, limit: int) -> Page:
    """Every form built, by id, with its latest version and latest publication."""
    after = decode_cursor(cursor, str)
    ids = [f for f in submissions.form_ids(session) if after is None or f > after]
    rows = ids[: limit + 1]

    def shape(form_id: str) -> dict[str, Any]:
        versions = list_versions(session, form_id)
        pubs = list_publications(session, form_id)
        return {
            "form_id": form_id,
            "versions": len(versions),
            "latest_version": versions[0].version if versions else None,
            "latest_publication": publication_json(pubs[0]) if pubs else None,
        }

    return page_of(rows, limit, lambda f: f, shape)


def form_detail(session: Session, form_id: str) -> dict[str, Any]:
    """One form's builds (newest first) and its publications."""
    versions = list_versions(session, form_id)
    if not versions:
        raise NotVisible(f"no form {form_id}")
    return {
        "form_id": form_id,
        "versions": [
            {
                "version": v.version,
                "built_at": v.built_at.isoformat(),
                "built_by": v.built_by,
                "xform_sha256": v.xform_sha256,
                "publications": v.publications,
            }
            for v in versions
        ],
        "publications": [publication_json(p) for p in list_publications(session, form_id)],
    }
