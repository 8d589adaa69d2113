"""ODK-Central-compatible stub: the parts of Central's API v1 Pantau uses, with its awkward parts.

Built from ../shared/kobo.md (Central section): bearer sessions (Basic over http is 401.3),
forms with drafts and versions (409.3, 409.6), draft attachments, REST submissions and edits,
and the OData `Submissions` feed with `$filter` on `__system` fields, `$top`, `$orderby`,
`$expand`, `$select` and `@odata.nextLink` links carrying `%24skiptoken=01<base64>`.
State lives in memory; `CentralStubState` is reachable as `app.extensions["central_stub"]`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from flask import Flask, Response, g, request
from werkzeug.exceptions import HTTPException

from sandbox.central.odata import ODataError, parse_filter, parse_orderby

MEDIA_REF = re.compile(r"jr://(file|file-csv|images|audio|video)/([^\"'<>\s]+)")
MEDIA_TYPES = {"file": "file", "file-csv": "file", "images": "image", "audio": "audio"}


def _now_ms() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def iso(value: datetime | None) -> str | None:
    """Central's timestamp format: UTC, milliseconds, `Z`."""
    if value is None:
        return None
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


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


def create_central_stub(
    users: Mapping[str, str] | None = None,
    *,
    projects: tuple[int, ...] = (1,),
    session_ttl: timedelta = timedelta(hours=24),
    clock: Callable[[], datetime] | None = None,
) -> Flask:
    """Build the stub app; `users` maps email to password (default admin@example.org/secret)."""
    app = Flask("pantau-central-stub")
    state = CentralStubState(
        users or {"admin@example.org": "secret"},
        projects=projects,
        session_ttl=session_ttl,
        clock=clock or _now_ms,
    )
    app.extensions["central_stub"] = state

    def problem(status: int, code: float, message: str, details: Any = None) -> Response:
        body: dict[str, Any] = {"code": code, "message": message}
        if details is not None:
            body["details"] = details
        return Response(json.dumps(body), status=status, mimetype="application/json")

    def ok(body: Any, status: int = 200) -> Response:
        return Response(json.dumps(body), status=status, mimetype="application/json")

    @app.errorhandler(CentralProblem)
    def _problem(exc: CentralProblem) -> Response:
        return problem(exc.status, exc.code, exc.message, exc.details)

    @app.errorhandler(ODataError)
    def _odata(exc: ODataError) -> Response:
        return problem(exc.status, exc.code, exc.message)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Response:
        if exc.code == 404:
            return problem(404, 404.1, "Could not find the resource you were looking for.")
        if exc.code == 405:
            return problem(405, 405.1, "This endpoint does not support the method you used.")
        return problem(exc.code or 500, float(f"{exc.code}.1"), exc.description or "")

    @app.before_request
    def _authenticate() -> Response | None:
        state.requests.append((request.method, request.full_path))
        g.user = None
        header = request.headers.get("Authorization", "")
        if header.startswith("Basic "):
            # Observed on Central: Basic auth is only accepted over https.
            if request.scheme != "https":
                return problem(
                    401, 401.3, "This authentication method is only available over HTTPS"
                )
            return problem(401, 401.2, "Could not authenticate with the provided credentials.")
        if header.startswith("Bearer "):
            token = header.removeprefix("Bearer ").strip()
            with state.lock:
                session = state.sessions.get(token)
                if session is None or session.expires_at <= state.clock():
                    return problem(
                        401, 401.2, "Could not authenticate with the provided credentials."
                    )
                g.user = session.email
        return None

    def require_user() -> str:
        if g.user is None:
            raise CentralProblem(
                403, 403.1, "The authenticated actor does not have rights to perform that action."
            )
        return g.user

    def project(p: int) -> int:
        require_user()
        if p not in state.projects:
            raise not_found()
        return p

    def get_form(p: int, form_id: str) -> Form:
        form = state.forms.get((project(p), form_id))
        if form is None:
            raise not_found()
        return form

    def xml_body() -> bytes:
        body = request.get_data()
        if not body:
            raise CentralProblem(400, 400.2, "Required parameter xml missing.")
        return body

    # -- sessions ---------------------------------------------------------------------------

    @app.post("/v1/sessions")
    def create_session() -> Response:
        data = request.get_json(silent=True) or {}
        email, password = data.get("email"), data.get("password")
        if not email or not password:
            return problem(400, 400.3, "Required parameters email, password missing.")
        with state.lock:
            if state.users.get(email) != password:
                return problem(401, 401.2, "Could not authenticate with the provided credentials.")
            now = state.clock()
            session = StubSession(secrets.token_urlsafe(48), email, now + state.session_ttl)
            state.sessions[session.token] = session
        return ok(
            {
                "token": session.token,
                "csrf": secrets.token_urlsafe(16),
                "expiresAt": iso(session.expires_at),
                "createdAt": iso(now),
            }
        )

    @app.delete("/v1/sessions/<token>")
    def delete_session(token: str) -> Response:
        require_user()
        with state.lock:
            if state.sessions.pop(token, None) is None:
                raise not_found()
        return ok({"success": True})

    @app.get("/v1/users/current")
    def current_user() -> Response:
        email = require_user()
        return ok({"id": _user_id(email), "type": "user", "displayName": email, "email": email})

    # -- forms ------------------------------------------------------------------------------

    @app.get("/v1/projects/<int:p>/forms")
    def list_forms(p: int) -> Response:
        project(p)
        with state.lock:
            forms = [f.to_json() for (pid, _), f in state.forms.items() if pid == p]
        return ok(forms)

    @app.post("/v1/projects/<int:p>/forms")
    def create_form(p: int) -> Response:
        project(p)
        definition = parse_xform(xml_body())
        publish = request.args.get("publish") == "true"
        with state.lock:
            key = (p, definition.xml_form_id)
            if key in state.forms:
                raise CentralProblem(
                    409,
                    409.3,
                    "A resource already exists with projectId,xmlFormId value(s) of "
                    f"{p},{definition.xml_form_id}.",
                    {"fields": ["projectId", "xmlFormId"], "values": [p, definition.xml_form_id]},
                )
            form = Form(p, definition.xml_form_id, created_at=state.clock())
            if publish:
                definition.published_at = state.clock()
                form.published.append(definition)
            else:
                form.draft = definition
            state.forms[key] = form
            return ok(form.to_json(definition))

    @app.get("/v1/projects/<int:p>/forms/<form_id>")
    def show_form(p: int, form_id: str) -> Response:
        with state.lock:
            form = get_form(p, form_id)
            return ok(form.to_json())

    @app.post("/v1/projects/<int:p>/forms/<form_id>/draft")
    def create_draft(p: int, form_id: str) -> Response:
        with state.lock:
            form = get_form(p, form_id)
            body = request.get_data()
            if body:
                definition = parse_xform(body)
                if definition.xml_form_id != form.xml_form_id:
                    raise CentralProblem(
                        400,
                        400.8,
                        "The form you have uploaded attempts to change the xmlFormId from "
                        f"{form.xml_form_id} to {definition.xml_form_id}. This is not allowed.",
                    )
            else:
                base = form.current or form.draft
                if base is None:
                    raise not_found()
                definition = parse_xform(base.xml)
            # Central carries over attachments whose names the new definition still expects.
            previous = form.current or form.draft
            if previous is not None:
                for name, blob in previous.attachments.items():
                    if name in definition.media:
                        definition.attachments[name] = blob
            form.draft = definition
        return ok({"success": True})

    @app.get("/v1/projects/<int:p>/forms/<form_id>/draft")
    def show_draft(p: int, form_id: str) -> Response:
        with state.lock:
            form = get_form(p, form_id)
            if form.draft is None:
                raise not_found()
            return ok(form.to_json(form.draft))

    @app.post("/v1/projects/<int:p>/forms/<form_id>/draft/publish")
    def publish_draft(p: int, form_id: str) -> Response:
        with state.lock:
            form = get_form(p, form_id)
            draft = form.draft
            if draft is None:
                raise not_found()
            version = request.args.get("version")
            if version is not None:
                draft.xml = _with_version(draft.xml, form_id, version)
                draft.version = version
            if any(d.version == draft.version for d in form.published):
                raise CentralProblem(
                    409,
                    409.6,
                    f"You tried to publish the form '{form_id}' with version '{draft.version}', "
                    "but a published form has already existed in this project with those "
                    "identifiers. Please choose a new name and try again. You can re-request "
                    "with ?version=xyz to have the version changed in-place for you.",
                    {"xmlFormId": form_id, "version": draft.version},
                )
            draft.published_at = state.clock()
            form.published.append(draft)
            form.draft = None
            form.updated_at = state.clock()
        return ok({"success": True})

    def attachment_list(definition: FormDef) -> list[dict[str, Any]]:
        return [
            {
                "name": name,
                "type": kind,
                "exists": name in definition.attachments,
                "blobExists": name in definition.attachments,
                "datasetExists": False,
                "updatedAt": iso(definition.created_at) if name in definition.attachments else None,
            }
            for name, kind in sorted(definition.media.items())
        ]

    @app.get("/v1/projects/<int:p>/forms/<form_id>/draft/attachments")
    def list_draft_attachments(p: int, form_id: str) -> Response:
        with state.lock:
            form = get_form(p, form_id)
            if form.draft is None:
                raise not_found()
            return ok(attachment_list(form.draft))

    @app.post("/v1/projects/<int:p>/forms/<form_id>/draft/attachments/<name>")
    def upload_draft_attachment(p: int, form_id: str, name: str) -> Response:
        with state.lock:
            form = get_form(p, form_id)
            if form.draft is None or name not in form.draft.media:
                raise not_found()
            form.draft.attachments[name] = (
                request.content_type or "application/octet-stream",
                request.get_data(),
            )
        return ok({"success": True})

    @app.get("/v1/projects/<int:p>/forms/<form_id>/attachments")
    def list_attachments(p: int, form_id: str) -> Response:
        with state.lock:
            form = get_form(p, form_id)
            if form.current is None:
                raise not_found()
            return ok(attachment_list(form.current))

    @app.get("/v1/projects/<int:p>/forms/<form_id>/attachments/<name>")
    def download_attachment(p: int, form_id: str, name: str) -> Response:
        with state.lock:
            form = get_form(p, form_id)
            blob = form.current.attachments.get(name) if form.current else None
            if blob is None:
                raise not_found()
        return Response(blob[1], mimetype=blob[0])

    # -- submissions ------------------------------------------------------------------------

    @app.post("/v1/projects/<int:p>/forms/<form_id>/submissions")
    def create_submission(p: int, form_id: str) -> Response:
        email = require_user()
        body = xml_body()
        with state.lock:
            form = get_form(p, form_id)
            doc, xml_form_id, instance_id, _ = _instance_meta(body)
            if xml_form_id != form_id:
                raise CentralProblem(
                    400,
                    400.8,
                    f"The form ID you specified ({form_id}) does not match the one in the "
                    f"submission ({xml_form_id}).",
                )
            if instance_id is None:
                raise CentralProblem(400, 400.2, "Required parameter instanceID missing.")
            version = doc.get("version", "")
            if not any(d.version == version for d in form.published):
                raise CentralProblem(
                    409,
                    409.4,
                    f"The form version you specified ({version}) is not a published version "
                    "of this form.",
                )
            if (p, form_id, instance_id) in state.instance_ids:
                raise CentralProblem(
                    409,
                    409.3,
                    f"A resource already exists with instanceId value(s) of {instance_id}.",
                    {"fields": ["instanceId"], "values": [instance_id]},
                )
            now = state.clock()
            sub = Submission(
                seq=state.next_seq(),
                id=instance_id,
                form=form,
                submitter_id=_user_id(email),
                created_at=now,
                versions=[SubmissionVersion(instance_id, body, version, now)],
            )
            state.submissions.setdefault((p, form_id), []).append(sub)
            state.instance_ids.add((p, form_id, instance_id))
            return ok(sub.rest_json())

    def find_submission(p: int, form_id: str, instance_id: str) -> Submission:
        for sub in state.submissions.get((p, form_id), []):
            if sub.id == instance_id:
                return sub
        raise not_found()

    @app.get("/v1/projects/<int:p>/forms/<form_id>/submissions/<instance_id>")
    def show_submission(p: int, form_id: str, instance_id: str) -> Response:
        with state.lock:
            get_form(p, form_id)
            return ok(find_submission(p, form_id, instance_id).rest_json())

    @app.put("/v1/projects/<int:p>/forms/<form_id>/submissions/<instance_id>")
    def edit_submission(p: int, form_id: str, instance_id: str) -> Response:
        require_user()
        body = xml_body()
        with state.lock:
            get_form(p, form_id)
            sub = find_submission(p, form_id, instance_id)
            doc, _, new_id, deprecated = _instance_meta(body)
            if new_id is None:
                raise CentralProblem(400, 400.2, "Required parameter instanceID missing.")
            if deprecated != sub.current.instance_id:
                raise CentralProblem(
                    409,
                    409.1,
                    "The deprecatedID of the submission does not match the current version "
                    f"({sub.current.instance_id}).",
                )
            if (p, form_id, new_id) in state.instance_ids:
                raise CentralProblem(
                    409,
                    409.3,
                    f"A resource already exists with instanceId value(s) of {new_id}.",
                    {"fields": ["instanceId"], "values": [new_id]},
                )
            now = state.clock()
            sub.versions.append(SubmissionVersion(new_id, body, doc.get("version", ""), now))
            sub.updated_at = now
            sub.review_state = "edited"
            sub.edits += 1
            state.instance_ids.add((p, form_id, new_id))
            return ok(sub.rest_json())

    # -- OData ------------------------------------------------------------------------------

    @app.get("/v1/projects/<int:p>/forms/<form_id>.svc")
    def service_document(p: int, form_id: str) -> Response:
        with state.lock:
            get_form(p, form_id)
        base = request.base_url
        return ok(
            {
                "@odata.context": f"{base}/$metadata",
                "value": [{"name": "Submissions", "kind": "EntitySet", "url": "Submissions"}],
            }
        )

    @app.get("/v1/projects/<int:p>/forms/<form_id>.svc/Submissions")
    def odata_submissions(p: int, form_id: str) -> Response:
        args = request.args
        expand = args.get("$expand")
        select = args.get("$select")
        if expand is not None and expand != "*":
            raise CentralProblem(
                501,
                501.1,
                f"The requested feature $expand={expand} is not supported by this server.",
            )
        if select is not None and expand is not None:
            raise CentralProblem(
                501,
                501.11,
                "The given query combines $select with $expand, which is not supported.",
            )
        predicate = parse_filter(args["$filter"]) if args.get("$filter") else None
        order = parse_orderby(args["$orderby"]) if args.get("$orderby") else None
        try:
            top = int(args["$top"]) if "$top" in args else None
            skip = int(args.get("$skip", 0))
        except ValueError as exc:
            raise CentralProblem(400, 400.18, "$top and $skip must be integers.") from exc
        with state.lock:
            form = get_form(p, form_id)
            definition = form.current or form.draft
            rows = list(state.submissions.get((p, form_id), []))
            if predicate is not None:
                rows = [r for r in rows if predicate(r.filter_values())]
            if order:
                # Stable sorts, last key first; nulls sort last ascending, first descending
                # (PostgreSQL's default); the creation order breaks ties.
                rows.sort(key=lambda r: r.seq, reverse=order[0][1])
                for fld, desc in reversed(order):
                    rows.sort(
                        key=lambda r, f=fld: (
                            r.filter_values()[f] is None,
                            r.filter_values()[f] if r.filter_values()[f] is not None else 0,
                        ),
                        reverse=desc,
                    )
            else:
                # Central's default: newest first.
                rows.sort(key=lambda r: r.seq, reverse=True)
            total = len(rows)
            token = args.get("$skiptoken")
            if token:
                after = _read_skiptoken(token)
                index = next((i for i, r in enumerate(rows) if r.id == after), None)
                rows = rows[index + 1 :] if index is not None else []
            elif skip:
                rows = rows[skip:]
            more = top is not None and len(rows) > top
            page = rows[:top] if top is not None else rows
            assert definition is not None
            values = [_odata_row(r, definition, expand == "*") for r in page]
        if select:
            wanted = [s.strip() for s in select.split(",") if s.strip()]
            values = [_project(v, wanted) for v in values]
        body: dict[str, Any] = {
            "@odata.context": f"{request.url_root.rstrip('/')}/v1/projects/{p}/forms/"
            f"{quote(form_id, safe='')}.svc/$metadata#Submissions",
        }
        if args.get("$count") == "true":
            body["@odata.count"] = total
        body["value"] = values
        if more:
            params = [(k, v) for k, v in args.items(multi=True) if k not in ("$skiptoken", "$skip")]
            params.append(("$skiptoken", _skiptoken(page[-1].id)))
            query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params)
            body["@odata.nextLink"] = f"{request.base_url}?{query}"
        return ok(body)

    return app


def _project(row: dict[str, Any], wanted: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for path in wanted:
        head, _, rest = path.partition("/")
        if head not in row:
            continue
        if not rest:
            out[head] = row[head]
        elif isinstance(row[head], dict) and rest in row[head]:
            out.setdefault(head, {})[rest] = row[head][rest]
    return out
