"""Typed results of the ODK Central client: session token, forms, attachments, submissions."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.clients.central.errors import CentralPermanentError
from core.clients.central.odata import parse_time


@dataclass(frozen=True)
class CentralSessionToken:
    """A bearer session from `POST /v1/sessions`."""

    token: str = field(repr=False)
    expires_at: datetime | None


@dataclass(frozen=True)
class CentralForm:
    """A form as Central describes it (published or draft)."""

    project_id: int
    xml_form_id: str
    name: str | None
    version: str | None
    hash: str | None
    state: str | None
    published_at: datetime | None
    created_at: datetime | None
    enketo_id: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CentralForm:
        """Build from Central's Form JSON."""
        return cls(
            project_id=int(data.get("projectId", 0)),
            xml_form_id=data["xmlFormId"],
            name=data.get("name"),
            version=data.get("version"),
            hash=data.get("hash"),
            state=data.get("state"),
            published_at=parse_time(data.get("publishedAt")),
            created_at=parse_time(data.get("createdAt")),
            enketo_id=data.get("enketoId"),
        )


@dataclass(frozen=True)
class FormAttachment:
    """One media file a form definition expects, and whether it has been uploaded."""

    name: str
    type: str | None
    exists: bool
    updated_at: datetime | None
    hash: str | None = None  # MD5 of the uploaded file

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FormAttachment:
        """Build from Central's attachment JSON."""
        return cls(
            name=data["name"],
            type=data.get("type"),
            exists=bool(data.get("exists", data.get("blobExists", False))),
            updated_at=parse_time(data.get("updatedAt")),
            hash=data.get("hash"),
        )


@dataclass(frozen=True)
class SubmissionResult:
    """Central's answer to creating or editing a submission over the REST API."""

    instance_id: str
    review_state: str | None
    created_at: datetime | None
    updated_at: datetime | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SubmissionResult:
        """Build from Central's Submission JSON."""
        return cls(
            instance_id=data["instanceId"],
            review_state=data.get("reviewState"),
            created_at=parse_time(data.get("createdAt")),
            updated_at=parse_time(data.get("updatedAt")),
        )


@dataclass(frozen=True)
class CentralSubmission:
    """One OData row: `__id` (stable across edits), its current instance id, system fields."""

    id: str
    instance_id: str
    submission_date: datetime
    updated_at: datetime | None
    review_state: str | None
    form_version: str | None
    edits: int
    deleted_at: datetime | None
    data: dict[str, Any] = field(repr=False)

    @property
    def changed_at(self) -> datetime:
        """Last change: `updatedAt`, which Central leaves null until the first edit or review."""
        return self.updated_at or self.submission_date

    @property
    def key(self) -> tuple[str, str]:
        """Identity of this version: every edit gets a new instance id."""
        return (self.id, self.instance_id)

    @classmethod
    def from_odata(cls, row: Mapping[str, Any]) -> CentralSubmission:
        """Build from one row of `Submissions`."""
        system = row.get("__system") or {}
        meta = row.get("meta") or {}
        submitted = parse_time(system.get("submissionDate"))
        if submitted is None:
            raise CentralPermanentError(f"OData row {row.get('__id')!r} has no submissionDate")
        return cls(
            id=row["__id"],
            instance_id=meta.get("instanceID") or row["__id"],
            submission_date=submitted,
            updated_at=parse_time(system.get("updatedAt")),
            review_state=system.get("reviewState"),
            form_version=system.get("formVersion"),
            edits=int(system.get("edits") or 0),
            deleted_at=parse_time(system.get("deletedAt")),
            data=dict(row),
        )


@dataclass(frozen=True)
class SubmissionPage:
    """One page of the OData `Submissions` feed."""

    value: list[dict[str, Any]]
    next_link: str | None
    count: int | None = None
    # The server's clock when it answered (the `Date` header, whole seconds), if it said.
    server_time: datetime | None = None

    @property
    def submissions(self) -> list[CentralSubmission]:
        """The rows as typed submissions."""
        return [CentralSubmission.from_odata(row) for row in self.value]
