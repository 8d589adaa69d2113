"""ODK-Central-compatible stub: the parts of Central's API v1 Pantau uses, with its awkward parts.

Built from ../shared/kobo.md (Central section): bearer sessions (Basic over http is 401.3),
forms with drafts and versions (409.3, 409.6), draft attachments, REST submissions and edits,
and the OData `Submissions` feed with `$filter` on `__system` fields, `$top`, `$orderby`,
`$expand`, `$select` and `@odata.nextLink` links carrying `%24skiptoken=01<base64>`.
State lives in memory; `CentralStubState` is reachable as `app.extensions["central_stub"]`.

This module is the factory and the error mapping; each resource's routes live in their own
module (`sessions`, `forms`, `attachments`, `submissions`, `odata_routes`).
"""

from __future__ import annotations

<<<<<<< HEAD
import base64
import hashlib
import json
import re
import secrets
import threading
import xml.etree.ElementTree as ET
=======
>>>>>>> sandbox-split
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from sandbox.central import attachments, forms, odata_routes, sessions, submissions
from sandbox.central.auth import authenticate
from sandbox.central.odata import ODataError
from sandbox.central.responses import CentralProblem, problem
from sandbox.central.state import CentralStubState, now_ms

__all__ = ["CentralStubState", "create_central_stub"]

BLUEPRINTS = (sessions.bp, forms.bp, attachments.bp, submissions.bp, odata_routes.bp)


def central_problem(exc: CentralProblem) -> Response:
    """A raised `CentralProblem` as its answer."""
    return problem(exc.status, exc.code, exc.message, exc.details)


def odata_problem(exc: ODataError) -> Response:
    """A refused OData query as Central's problem answer."""
    return problem(exc.status, exc.code, exc.message)


<<<<<<< HEAD
class CentralProblem(Exception):
    """An error answer in Central's shape: `{"code": 404.1, "message": ...}`."""

    def __init__(self, status: int, code: float, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def not_found() -> CentralProblem:
    """Central's 404.1."""
    return CentralProblem(404, 404.1, "Could not find the resource you were looking for.")


def _local(tag: str) -> str:
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
    attachments: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    published_at: datetime | None = None
    created_at: datetime = field(default_factory=_now_ms)

    @property
    def hash(self) -> str:
        """MD5 of the XML, as Central reports it."""
        return hashlib.md5(self.xml, usedforsecurity=False).hexdigest()


def parse_xform(xml: bytes) -> FormDef:
    """Read what Central needs from an XForm: id, version, title, repeats, types, media."""
    try:
        doc = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise CentralProblem(
            400, 400.1, f"Could not parse the given data ({len(xml)} chars) as xml."
        ) from exc
    title = next((e.text for e in doc.iter() if _local(e.tag) == "title"), None)
    instance = next(
        (e for e in doc.iter() if _local(e.tag) == "instance" and not e.get("id")), None
    )
    if instance is None or len(instance) == 0:
        raise CentralProblem(400, 400.2, "Required parameter formId missing.")
    primary = instance[0]
    form_id = primary.get("id")
    if not form_id:
        raise CentralProblem(400, 400.2, "Required parameter formId missing.")
    root = "/" + _local(primary.tag)
    repeats = {e.get("nodeset", "") for e in doc.iter() if _local(e.tag) == "repeat"}
    types = {
        e.get("nodeset", ""): e.get("type", "string")
        for e in doc.iter()
        if _local(e.tag) == "bind" and e.get("nodeset")
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


def _with_version(xml: bytes, form_id: str, version: str) -> bytes:
    # Central rewrites the version attribute of the primary instance root in place.
    text = xml.decode("utf-8")
    pattern = re.compile(
        r'(<[^>]*\bid="' + re.escape(form_id) + r'"[^>]*?)(\s+version="[^"]*")?(\s*/?>)'
    )
    replaced, n = pattern.subn(
        lambda m: f'{m.group(1)} version="{version}"{m.group(3)}', text, count=1
    )
    return replaced.encode("utf-8") if n else xml


@dataclass
class Form:
    """A form in a project: its published versions (newest last) and its draft."""

    project_id: int
    xml_form_id: str
    published: list[FormDef] = field(default_factory=list)
    draft: FormDef | None = None
    created_at: datetime = field(default_factory=_now_ms)
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
            "__system/deletedAt": None,
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
        clock: Callable[[], datetime] = _now_ms,
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


def _user_id(email: str) -> int:
    return int(hashlib.sha256(email.encode()).hexdigest()[:6], 16)


# -- submission XML -> OData JSON ---------------------------------------------------------------


def _typed(value: str | None, kind: str) -> Any:
    if value is None or value == "":
        return None
    try:
        if kind == "int":
            return int(value)
        if kind == "decimal":
            return float(value)
    except ValueError:
        return value
    if kind == "geopoint":
        parts = value.split()
        try:
            lat, lon = float(parts[0]), float(parts[1])
        except (IndexError, ValueError):
            return value
        coords = [lon, lat] + ([float(parts[2])] if len(parts) > 2 else [])
        props = {"accuracy": float(parts[3])} if len(parts) > 3 else None
        point: dict[str, Any] = {"type": "Point", "coordinates": coords}
        if props:
            point["properties"] = props
        return point
    return value


def _element_json(
    elem: ET.Element, path: str, definition: FormDef, expand: bool, nav: str
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    repeats_seen: dict[str, list[dict[str, Any]]] = {}
    for child in elem:
        name = _local(child.tag)
        child_path = f"{path}/{name}"
        if child_path in definition.repeats:
            row_nav = nav
            row = _element_json(child, child_path, definition, expand, row_nav)
            repeats_seen.setdefault(name, []).append(row)
            continue
        if len(child):
            out[name] = _element_json(child, child_path, definition, expand, nav)
        else:
            out[name] = _typed(child.text, definition.types.get(child_path, "string"))
    for name, rows in repeats_seen.items():
        if expand:
            for i, row in enumerate(rows):
                row["__id"] = hashlib.sha1(f"{nav}/{name}/{i}".encode()).hexdigest()
            out[name] = rows
        else:
            out[f"{name}@odata.navigationLink"] = f"{nav}/{name}"
    return out


def _odata_row(sub: Submission, definition: FormDef, expand: bool) -> dict[str, Any]:
    doc = ET.fromstring(sub.current.xml)
    nav = f"Submissions('{quote(sub.id, safe='')}')"
    data = _element_json(doc, "/" + _local(doc.tag), definition, expand, nav)
    row: dict[str, Any] = {"__id": sub.id}
    row.update(data)
    row["__system"] = {
        "submissionDate": iso(sub.created_at),
        "updatedAt": iso(sub.updated_at),
        "submitterId": str(sub.submitter_id),
        "submitterName": "pantau",
        "attachmentsPresent": 0,
        "attachmentsExpected": 0,
        "status": None,
        "reviewState": sub.review_state,
        "deviceId": None,
        "edits": sub.edits,
        "formVersion": sub.current.form_version,
        "deletedAt": None,
    }
    return row


def _instance_meta(xml: bytes) -> tuple[ET.Element, str, str | None, str | None]:
    try:
        doc = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise CentralProblem(
            400, 400.1, f"Could not parse the given data ({len(xml)} chars) as xml."
        ) from exc
    instance_id = deprecated = None
    for elem in doc.iter():
        name = _local(elem.tag)
        if name == "instanceID":
            instance_id = (elem.text or "").strip() or None
        elif name == "deprecatedID":
            deprecated = (elem.text or "").strip() or None
    form_id = doc.get("id") or _local(doc.tag)
    return doc, form_id, instance_id, deprecated


def _skiptoken(instance_id: str) -> str:
    payload = json.dumps({"instanceId": instance_id}, separators=(",", ":")).encode()
    return "01" + base64.b64encode(payload).decode()


def _read_skiptoken(token: str) -> str:
    try:
        if not token.startswith("01"):
            raise ValueError(token)
        return json.loads(base64.b64decode(token[2:]))["instanceId"]
    except (ValueError, KeyError, TypeError) as exc:
        raise CentralProblem(400, 400.34, "The $skiptoken you provided is invalid.") from exc
=======
def http_problem(exc: HTTPException) -> Response:
    """Werkzeug's errors (unknown path, wrong method, ...) in Central's shape."""
    if exc.code == 404:
        return problem(404, 404.1, "Could not find the resource you were looking for.")
    if exc.code == 405:
        return problem(405, 405.1, "This endpoint does not support the method you used.")
    return problem(exc.code or 500, float(f"{exc.code}.1"), exc.description or "")
>>>>>>> sandbox-split


def create_central_stub(
    users: Mapping[str, str] | None = None,
    *,
    projects: tuple[int, ...] = (1,),
    session_ttl: timedelta = timedelta(hours=24),
    clock: Callable[[], datetime] | None = None,
) -> Flask:
    """Build the stub app; `users` maps email to password (default admin@example.org/secret)."""
    app = Flask("pantau-central-stub")
    app.extensions["central_stub"] = CentralStubState(
        users or {"admin@example.org": "secret"},
        projects=projects,
        session_ttl=session_ttl,
        clock=clock or now_ms,
    )
    app.register_error_handler(CentralProblem, central_problem)
    app.register_error_handler(ODataError, odata_problem)
    app.register_error_handler(HTTPException, http_problem)
    app.before_request(authenticate)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    return app
