"""What a publish leaves in the database: Publication rows, audit rows, and reading them back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.store.models import AuditLog, FormVersion, Publication


@dataclass(frozen=True)
class PublicationRow:
    """One publication of a form, for `pantau forms versions`."""

    version: str
    server: str
    server_url: str
    server_form_id: str
    server_version_id: str | None
    status: str
    published_at: datetime | None
    published_by: str
    forced_reason: str | None


def record_publication(
    session: Session,
    form_version: FormVersion,
    *,
    server: str,
    server_url: str,
    server_form_id: str,
    server_version_id: str | None,
    actor: str,
    forced_reason: str | None,
    response: dict[str, Any],
) -> Publication:
    """Add the Publication row of a form version now live on a server."""
    publication = Publication(
        form_version_id=form_version.id,
        server=server,
        server_url=server_url,
        server_form_id=server_form_id,
        server_version_id=server_version_id,
        status="published",
        published_by=actor,
        forced_reason=forced_reason,
        response=response,
    )
    session.add(publication)
    session.flush()
    return publication


def audit(
    session: Session, actor: str, action: str, server: str, form_id: str, detail: dict[str, Any]
) -> None:
    """Add an audit row for a publish of form_id to server."""
    session.add(AuditLog(actor=actor, action=action, target=f"{server}:{form_id}", detail=detail))
    session.flush()


def last_publication(
    session: Session,
    server: str,
    server_url: str,
    form_id: str,
    *,
    server_form_id: str | None = None,
    xform_sha256: str | None = None,
) -> Publication | None:
    """The newest live publication of form_id on that server, optionally of that form and build."""
    query = (
        select(Publication)
        .join(FormVersion, Publication.form_version_id == FormVersion.id)
        .where(
            Publication.server == server,
            Publication.server_url == server_url,
            FormVersion.form_id == form_id,
            Publication.status == "published",
        )
    )
    if server_form_id is not None:
        query = query.where(Publication.server_form_id == server_form_id)
    if xform_sha256 is not None:
        query = query.where(FormVersion.xform_sha256 == xform_sha256)
    return session.scalars(query.order_by(Publication.id.desc()).limit(1)).first()


def list_publications(session: Session, form_id: str) -> list[PublicationRow]:
    """Every publication of form_id, newest first, with who, when and any forced reason."""
    rows = session.execute(
        select(Publication, FormVersion.version)
        .join(FormVersion, Publication.form_version_id == FormVersion.id)
        .where(FormVersion.form_id == form_id)
        .order_by(Publication.published_at.desc(), Publication.id.desc())
    ).all()
    return [
        PublicationRow(
            version=version,
            server=p.server,
            server_url=p.server_url,
            server_form_id=p.server_form_id,
            server_version_id=p.server_version_id,
            status=p.status,
            published_at=p.published_at,
            published_by=p.published_by,
            forced_reason=p.forced_reason,
        )
        for p, version in rows
    ]
