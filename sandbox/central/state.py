"""What the Central stub knows: forms and their definitions, submissions, sessions.

`CentralStubState` holds it all in memory; `parse_xform` reads an uploaded XForm.
"""

from __future__ import annotations

import hashlib
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sandbox.central.responses import CentralProblem

MEDIA_REF = re.compile(r"jr://(file|file-csv|images|audio|video)/([^\"'<>\s]+)")
MEDIA_TYPES = {"file": "file", "file-csv": "file", "images": "image", "audio": "audio"}


def now_ms() -> datetime:
    """The current UTC time, truncated to milliseconds as Central stores it."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def iso(value: datetime | None) -> str | None:
    """Central's timestamp format: UTC, milliseconds, `Z`."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def local_name(tag: str) -> str:
    """An XML tag without its `{namespace}`."""
    return tag.rsplit("}", 1)[-1]


@dataclass
class FormDef:
    """One definition (draft or published version) of a form."""

    xml: bytes
    xml_form_id: str
    version: str
    name: str | None
    sha256: str
    root: str
    repeats: set[str]
    types: dict[str, str]
    media: dict[str, str]  # name -> type
    # name -> (content type, bytes, uploaded at); carried into the next draft as Central does
    attachments: dict[str, tuple[str, bytes, datetime]] = field(default_factory=dict)
    published_at: datetime | None = None
    created_at: datetime = field(default_factory=now_ms)

    @property
    def hash(self) -> str:
        """MD5 of the XML, as Central reports it."""
        return hashlib.md5(self.xml, usedforsecurity=False).hexdigest()


def parse_xml(xml: bytes) -> ET.Element:
    """An uploaded XML document's root, or Central's 400.1 when it does not parse."""
    try:
        return ET.fromstring(xml)
    except ET.ParseError as exc:
        raise CentralProblem(
            400, 400.1, f"Could not parse the given data ({len(xml)} chars) as xml."
        ) from exc


def parse_xform(xml: bytes) -> FormDef:
    """Read what Central needs from an XForm: id, version, title, repeats, types, media."""
    doc = parse_xml(xml)
    title = next((e.text for e in doc.iter() if local_name(e.tag) == "title"), None)
    instance = next(
        (e for e in doc.iter() if local_name(e.tag) == "instance" and not e.get("id")), None
    )
    if instance is None or len(instance) == 0:
        raise CentralProblem(400, 400.2, "Required parameter formId missing.")
    primary = instance[0]
    form_id = primary.get("id")
    if not form_id:
        raise CentralProblem(400, 400.2, "Required parameter formId missing.")
    root = "/" + local_name(primary.tag)
    repeats = {e.get("nodeset", "") for e in doc.iter() if local_name(e.tag) == "repeat"}
    types = {
        e.get("nodeset", ""): e.get("type", "string")
        for e in doc.iter()
        if local_name(e.tag) == "bind" and e.get("nodeset")
    }
    media = {
        m.group(2): MEDIA_TYPES.get(m.group(1), "file")
        for m in MEDIA_REF.finditer(xml.decode("utf-8", "replace"))
    }
    return FormDef(
        xml=xml,
        xml_form_id=form_id,
        version=primary.get("version", ""),
        name=title,
        sha256=hashlib.sha256(xml).hexdigest(),
        root=root,
        repeats=repeats,
        types=types,
        media=media,
    )


@dataclass
class Form:
    """A form in a project: its published versions (newest last) and its draft."""

    project_id: int
    xml_form_id: str
    published: list[FormDef] = field(default_factory=list)
    draft: FormDef | None = None
    created_at: datetime = field(default_factory=now_ms)
    updated_at: datetime | None = None

    @property
    def current(self) -> FormDef | None:
        """The published definition in use."""
        return self.published[-1] if self.published else None

    def to_json(self, definition: FormDef | None = None) -> dict[str, Any]:
        """Central's Form JSON."""
        d = definition or self.current or self.draft
        assert d is not None
        return {
            "projectId": self.project_id,
            "xmlFormId": self.xml_form_id,
            "name": d.name,
            "version": d.version,
            "enketoId": None,
            "hash": d.hash,
            "sha256": d.sha256,
            "keyId": None,
            "state": "open",
            "publishedAt": iso(d.published_at),
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
        }


@dataclass
class SubmissionVersion:
    """One version of a submission (the first, or an edit)."""

    instance_id: str
    xml: bytes
    form_version: str
    created_at: datetime


@dataclass
class Submission:
    """A submission: `id` is the first instance id and stays across edits."""

    seq: int
    id: str
    form: Form
    submitter_id: int
    created_at: datetime
    versions: list[SubmissionVersion]
    updated_at: datetime | None = None
    review_state: str | None = None
    edits: int = 0
    deleted_at: datetime | None = None  # in the trash: out of the feed, restorable

    @property
    def current(self) -> SubmissionVersion:
        """The latest version."""
        return self.versions[-1]

    def rest_json(self) -> dict[str, Any]:
        """Central's Submission JSON (REST API)."""
        return {
            "instanceId": self.id,
            "submitterId": self.submitter_id,
            "deviceId": None,
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
            "reviewState": self.review_state,
            "deletedAt": iso(self.deleted_at),
            "currentVersion": {
                "instanceId": self.current.instance_id,
                "instanceName": None,
                "submitterId": self.submitter_id,
                "createdAt": iso(self.current.created_at),
                "current": True,
            },
        }

    def filter_values(self) -> dict[str, Any]:
        """Values `$filter`/`$orderby` may reference."""
        return {
            "__id": self.id,
            "__system/submissionDate": self.created_at,
            "__system/updatedAt": self.updated_at,
            "__system/submitterId": self.submitter_id,
            "__system/reviewState": self.review_state,
            "__system/deletedAt": self.deleted_at,
        }


@dataclass
class StubSession:
    """A bearer session."""

    token: str
    email: str
    expires_at: datetime


class CentralStubState:
    """Everything the stub knows; thread-safe because werkzeug serves requests in threads."""

    def __init__(
        self,
        users: Mapping[str, str],
        *,
        projects: tuple[int, ...] = (1,),
        session_ttl: timedelta = timedelta(hours=24),
        clock: Callable[[], datetime] = now_ms,
    ) -> None:
        self.users = dict(users)
        self.projects = set(projects)
        self.session_ttl = session_ttl
        self.clock = clock
        self.lock = threading.RLock()
        self.sessions: dict[str, StubSession] = {}
        self.forms: dict[tuple[int, str], Form] = {}
        self.submissions: dict[tuple[int, str], list[Submission]] = {}
        self.instance_ids: set[tuple[int, str, str]] = set()
        self.requests: list[tuple[str, str]] = []
        self._seq = 0

    def expire_sessions(self) -> None:
        """Make every bearer token expired, as 24 h passing would."""
        with self.lock:
            past = self.clock() - timedelta(seconds=1)
            for s in self.sessions.values():
                s.expires_at = past

    def next_seq(self) -> int:
        """Creation order of submissions."""
        self._seq += 1
        return self._seq


def user_id(email: str) -> int:
    """A stable numeric actor id for an email."""
    return int(hashlib.sha256(email.encode()).hexdigest()[:6], 16)
