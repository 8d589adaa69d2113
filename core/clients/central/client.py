"""The one ODK Central client: a requests.Session with base URL, bearer session, retries, timeout.

Why not pyodk: its `Session` (a private module) mounts its retrying, time-limited adapter on
https:// only, so a plain-http server (the stub, a LAN Central) gets neither; it retries 500s
and never renews an expired bearer token (it only logs in when the header is absent); and its
public `Client` insists on a TOML config file. What we need is small enough to own.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import requests
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from core.clients.central.errors import (
    CentralAuthError,
    CentralConflict,
    CentralDuplicateForm,
    CentralError,
    CentralNotFound,
    CentralPermanentError,
    CentralRetryableError,
    CentralUnsupported,
    CentralVersionConflict,
)

if TYPE_CHECKING:
    from config.settings import Settings

log = logging.getLogger(__name__)

RETRY_STATUSES = (429, 502, 503, 504)
# Renew a little before Central's stated expiry so a request never races the deadline.
RENEW_MARGIN = timedelta(seconds=60)


def default_retry(total: int = 3, backoff_factor: float = 0.5) -> Retry:
    """Retry policy for Central: 429/502/503/504 with backoff, `Retry-After` honoured.

    POST is left out: creating a form or a submission twice is not harmless.
    """
    return Retry(
        total=total,
        connect=total,
        read=total,
        status=total,
        backoff_factor=backoff_factor,
        backoff_max=60,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"}),
        respect_retry_after_header=True,
        # Hand the last response back so our own mapping raises a typed error.
        raise_on_status=False,
    )


def parse_time(value: str | None) -> datetime | None:
    """Parse one of Central's ISO timestamps (`2026-08-21T03:05:42.123Z`) into an aware datetime."""
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def format_time(value: datetime) -> str:
    """Format an aware datetime the way Central does: UTC, milliseconds, `Z`."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: give a timezone")
    utc = value.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def odata_query(params: Mapping[str, Any]) -> str:
    """Build an OData query string; every reserved character is percent-encoded.

    A raw `+` in a query string reads as a space (Central answers 400.18), so `+07:00`
    must travel as `%2B07:00`; `$` travels as `%24` as Central's own links do.
    """
    parts = []
    for key, value in params.items():
        if value is None:
            continue
        parts.append(f"{quote(key, safe='')}={quote(str(value), safe='')}")
    return "&".join(parts)


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

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FormAttachment:
        """Build from Central's attachment JSON."""
        return cls(
            name=data["name"],
            type=data.get("type"),
            exists=bool(data.get("exists", data.get("blobExists", False))),
            updated_at=parse_time(data.get("updatedAt")),
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

    @property
    def submissions(self) -> list[CentralSubmission]:
        """The rows as typed submissions."""
        return [CentralSubmission.from_odata(row) for row in self.value]


@dataclass(frozen=True)
class Watermark:
    """Where an incremental pull stopped: the latest change time and the versions seen at it.

    `ge` re-reads rows at the boundary millisecond (several rows can share it), so the versions
    already seen there are kept and skipped next time.
    """

    changed_at: datetime
    seen: frozenset[tuple[str, str]] = frozenset()

    def to_json(self) -> str:
        """Serialise for storage between pulls."""
        return json.dumps(
            {"changed_at": format_time(self.changed_at), "seen": sorted(list(k) for k in self.seen)}
        )

    @classmethod
    def from_json(cls, text: str) -> Watermark:
        """Read back what `to_json` wrote."""
        data = json.loads(text)
        changed = parse_time(data["changed_at"])
        assert changed is not None
        return cls(changed, frozenset((a, b) for a, b in data.get("seen", [])))


def _error_code(body: Any) -> str | None:
    if isinstance(body, dict) and body.get("code") is not None:
        return str(body["code"])
    return None


def _raise_for(response: requests.Response) -> None:
    """Map a non-2xx answer to the typed error (the one place that decides retry)."""
    if response.status_code < 400:
        return
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    code = _error_code(body)
    detail = body.get("message") if isinstance(body, dict) else str(body)[:300]
    message = (
        f"{response.request.method} {response.url} -> {response.status_code}"
        f"{f' ({code})' if code else ''}: {detail}"
    )
    status = response.status_code
    kwargs = {"status_code": status, "code": code, "body": body}
    cls: type[CentralError]
    if status in RETRY_STATUSES:
        cls = CentralRetryableError
    elif status in (401, 403):
        cls = CentralAuthError
    elif status == 404:
        cls = CentralNotFound
    elif status == 409:
        cls = {"409.3": CentralDuplicateForm, "409.6": CentralVersionConflict}.get(
            code or "", CentralConflict
        )
    elif status == 501:
        cls = CentralUnsupported
    else:
        cls = CentralPermanentError
    raise cls(message, **kwargs)


class CentralClient:
    """ODK Central API v1 over one `requests.Session`; services hang off it."""

    def __init__(
        self,
        base_url: str,
        email: str,
        password: str,
        *,
        project_id: int = 1,
        timeout: float = 30.0,
        retries: Retry | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.api_url = self.base_url + "/v1"
        self.email = email
        self._password = password
        self.project_id = project_id
        self.timeout = timeout
        self.session = requests.Session()
        adapter = HTTPAdapter(max_retries=retries if retries is not None else default_retry())
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = "pantau-central-client"
        self._token: CentralSessionToken | None = None
        self.forms = FormService(self)
        self.submissions = SubmissionService(self)

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> CentralClient:
        """Client for the server named by `PANTAU_CENTRAL_*`."""
        if not settings.central_url:
            raise CentralPermanentError("PANTAU_CENTRAL_URL is not set")
        kwargs: dict[str, Any] = {
            "project_id": settings.central_project,
            "timeout": settings.http_timeout,
        }
        kwargs.update(overrides)
        return cls(
            settings.central_url,
            settings.central_email,
            settings.central_password.get_secret_value(),
            **kwargs,
        )

    def __repr__(self) -> str:
        return f"CentralClient({self.base_url!r}, {self.email!r}, project_id={self.project_id})"

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()

    def __enter__(self) -> CentralClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- sessions ---------------------------------------------------------------------------

    def login(self) -> CentralSessionToken:
        """Create a new bearer session (`POST /v1/sessions`); Basic auth is refused over http."""
        response = self._send(
            "POST",
            self.api_url + "/sessions",
            json={"email": self.email, "password": self._password},
        )
        _raise_for(response)
        data = response.json()
        token = CentralSessionToken(data["token"], parse_time(data.get("expiresAt")))
        self._token = token
        return token

    def _bearer(self) -> str:
        token = self._token
        if token is None or (
            token.expires_at is not None and token.expires_at - RENEW_MARGIN <= datetime.now(UTC)
        ):
            token = self.login()
        return f"Bearer {token.token}"

    # -- requests ---------------------------------------------------------------------------

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        try:
            return self.session.request(method, url, **kwargs)
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise CentralRetryableError(f"{method} {url}: {exc}") from exc
        except requests.RequestException as exc:
            raise CentralPermanentError(f"{method} {url}: {exc}") from exc

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send an authenticated request (path under /v1, or a full URL); raise typed errors.

        A 401 means the session expired or was revoked: log in again once and resend.
        """
        url = path if path.startswith(("http://", "https://")) else self.api_url + path
        headers = dict(kwargs.pop("headers", None) or {})
        for attempt in (1, 2):
            headers["Authorization"] = self._bearer()
            response = self._send(method, url, headers=headers, **kwargs)
            if response.status_code == 401 and attempt == 1:
                log.info("central session rejected (%s); logging in again", response.status_code)
                self._token = None
                continue
            break
        _raise_for(response)
        return response

    def get_json(self, path: str, **kwargs: Any) -> Any:
        """GET and decode JSON."""
        return self.request("GET", path, **kwargs).json()


class FormService:
    """Forms of the client's project: create/publish, drafts, versions, attachments."""

    def __init__(self, client: CentralClient) -> None:
        self.client = client

    def _base(self, project_id: int | None) -> str:
        return f"/projects/{project_id or self.client.project_id}/forms"

    def list(self, project_id: int | None = None) -> list[CentralForm]:
        """Every form of the project."""
        return [CentralForm.from_json(f) for f in self.client.get_json(self._base(project_id))]

    def get(self, form_id: str, project_id: int | None = None) -> CentralForm:
        """One form's published state."""
        path = f"{self._base(project_id)}/{quote(form_id, safe='')}"
        return CentralForm.from_json(self.client.get_json(path))

    def create(
        self, xform: bytes, *, publish: bool = True, project_id: int | None = None
    ) -> CentralForm:
        """Create a form from XForm XML; raises CentralDuplicateForm (409.3) if the id exists."""
        response = self.client.request(
            "POST",
            self._base(project_id),
            params={"publish": "true" if publish else "false"},
            data=xform,
            headers={"Content-Type": "application/xml"},
        )
        return CentralForm.from_json(response.json())

    def create_draft(
        self, form_id: str, xform: bytes | None = None, *, project_id: int | None = None
    ) -> None:
        """Start (or replace) the draft: with XML, a new definition; without, a copy."""
        path = f"{self._base(project_id)}/{quote(form_id, safe='')}/draft"
        if xform is None:
            self.client.request("POST", path)
        else:
            self.client.request(
                "POST", path, data=xform, headers={"Content-Type": "application/xml"}
            )

    def publish_draft(
        self, form_id: str, version: str | None = None, *, project_id: int | None = None
    ) -> CentralForm:
        """Publish the draft, optionally setting its version; 409.6 if the version was used."""
        path = f"{self._base(project_id)}/{quote(form_id, safe='')}/draft/publish"
        params = {"version": version} if version is not None else None
        self.client.request("POST", path, params=params)
        return self.get(form_id, project_id=project_id)

    def upload_draft_attachment(
        self,
        form_id: str,
        name: str,
        content: bytes,
        *,
        content_type: str = "text/csv",
        project_id: int | None = None,
    ) -> None:
        """Upload one media file the draft expects (`jr://file…/<name>`)."""
        path = (
            f"{self._base(project_id)}/{quote(form_id, safe='')}/draft/attachments/"
            f"{quote(name, safe='')}"
        )
        self.client.request("POST", path, data=content, headers={"Content-Type": content_type})

    def draft_attachments(
        self, form_id: str, *, project_id: int | None = None
    ) -> list[FormAttachment]:
        """Media files the draft expects."""
        path = f"{self._base(project_id)}/{quote(form_id, safe='')}/draft/attachments"
        return [FormAttachment.from_json(a) for a in self.client.get_json(path)]

    def attachments(self, form_id: str, *, project_id: int | None = None) -> list[FormAttachment]:
        """Media files of the published version."""
        path = f"{self._base(project_id)}/{quote(form_id, safe='')}/attachments"
        return [FormAttachment.from_json(a) for a in self.client.get_json(path)]

    def publish(
        self,
        form_id: str,
        xform: bytes,
        *,
        version: str | None = None,
        attachments: Mapping[str, bytes] | None = None,
        project_id: int | None = None,
    ) -> CentralForm:
        """Publish XForm XML as the form's current version, creating the form if it is new.

        With attachments, the form is created unpublished (a draft) so its media are uploaded
        before anyone can download it. Re-running after a failure finishes the job: an
        existing form goes through draft + publish.
        """
        try:
            form = self.create(xform, publish=not attachments, project_id=project_id)
            if not attachments:
                return form
        except CentralDuplicateForm:
            self.create_draft(form_id, xform, project_id=project_id)
        for name, content in (attachments or {}).items():
            self.upload_draft_attachment(
                form_id, name, content, content_type=_media_type(name), project_id=project_id
            )
        return self.publish_draft(form_id, version, project_id=project_id)


def _media_type(name: str) -> str:
    lower = name.lower()
    for suffix, kind in (
        (".csv", "text/csv"),
        (".xml", "application/xml"),
        (".geojson", "application/geo+json"),
        (".png", "image/png"),
        (".jpg", "image/jpeg"),
    ):
        if lower.endswith(suffix):
            return kind
    return "application/octet-stream"


class ChangeFeed:
    """An incremental pull: iterate for new and edited submissions, then read `watermark`.

    Central leaves `updatedAt` null until a submission is first edited or reviewed, so the
    filter asks for either time at or after the mark. `ge` re-reads the boundary rows; the
    versions the previous pull saw there are skipped here, so callers need not dedupe. Store
    `watermark` only after the loop finished (and what it yielded is stored).
    """

    def __init__(
        self,
        service: SubmissionService,
        form_id: str,
        since: Watermark | None,
        *,
        page_size: int,
        expand: bool,
        project_id: int | None,
    ) -> None:
        self._service = service
        self._form_id = form_id
        self._since = since
        self._page_size = page_size
        self._expand = expand
        self._project_id = project_id
        self.pages_read = 0
        self.skipped = 0
        self._latest = since.changed_at if since else None
        self._seen_at_latest: set[tuple[str, str]] = set(since.seen) if since else set()

    @property
    def watermark(self) -> Watermark | None:
        """Where the next pull should start (None if nothing was ever seen)."""
        if self._latest is None:
            return None
        return Watermark(self._latest, frozenset(self._seen_at_latest))

    def __iter__(self) -> Iterator[CentralSubmission]:
        since = self._since
        odata_filter = None
        if since is not None:
            t = format_time(since.changed_at)
            odata_filter = f"__system/updatedAt ge {t} or __system/submissionDate ge {t}"
        pages = self._service.iter_pages(
            self._form_id,
            filter=odata_filter,
            orderby="__system/submissionDate asc",
            top=self._page_size,
            expand=self._expand,
            project_id=self._project_id,
        )
        for page in pages:
            self.pages_read += 1
            for row in page.value:
                sub = CentralSubmission.from_odata(row)
                if (
                    since is not None
                    and sub.changed_at == since.changed_at
                    and sub.key in since.seen
                ):
                    self.skipped += 1
                    continue
                self._advance(sub)
                yield sub

    def _advance(self, sub: CentralSubmission) -> None:
        if self._latest is None or sub.changed_at > self._latest:
            self._latest = sub.changed_at
            self._seen_at_latest = {sub.key}
        elif sub.changed_at == self._latest:
            self._seen_at_latest.add(sub.key)


class SubmissionService:
    """Submissions of a form: the OData feed (paged lazily), and REST create/edit."""

    def __init__(self, client: CentralClient) -> None:
        self.client = client

    def _form(self, form_id: str, project_id: int | None) -> str:
        return f"/projects/{project_id or self.client.project_id}/forms/{quote(form_id, safe='')}"

    def iter_pages(
        self,
        form_id: str,
        *,
        filter: str | None = None,
        orderby: str | None = None,
        top: int | None = 1000,
        expand: bool = False,
        select: str | None = None,
        count: bool = False,
        project_id: int | None = None,
    ) -> Iterator[SubmissionPage]:
        """Yield pages of `Submissions`, following `@odata.nextLink`; one page in memory at once."""
        query = odata_query(
            {
                "$filter": filter,
                "$orderby": orderby,
                "$top": top,
                "$expand": "*" if expand else None,
                "$select": select,
                "$count": "true" if count else None,
            }
        )
        url: str | None = f"{self._form(form_id, project_id)}.svc/Submissions?{query}"
        while url:
            data = self.client.get_json(url)
            page = SubmissionPage(
                value=data.get("value", []),
                next_link=data.get("@odata.nextLink"),
                count=data.get("@odata.count"),
            )
            url = page.next_link
            yield page

    def changes(
        self,
        form_id: str,
        since: Watermark | None = None,
        *,
        page_size: int = 1000,
        expand: bool = True,
        project_id: int | None = None,
    ) -> ChangeFeed:
        """Pull new and edited submissions since the watermark (all of them if None)."""
        return ChangeFeed(
            self, form_id, since, page_size=page_size, expand=expand, project_id=project_id
        )

    def create(
        self, form_id: str, xml: bytes, *, project_id: int | None = None
    ) -> SubmissionResult:
        """Create a submission from instance XML (REST, as tests and the demo do)."""
        response = self.client.request(
            "POST",
            f"{self._form(form_id, project_id)}/submissions",
            data=xml,
            headers={"Content-Type": "application/xml"},
        )
        return SubmissionResult.from_json(response.json())

    def edit(
        self, form_id: str, instance_id: str, xml: bytes, *, project_id: int | None = None
    ) -> SubmissionResult:
        """Replace a submission: the XML has a new instanceID and deprecatedID = the current one."""
        response = self.client.request(
            "PUT",
            f"{self._form(form_id, project_id)}/submissions/{quote(instance_id, safe='')}",
            data=xml,
            headers={"Content-Type": "application/xml"},
        )
        return SubmissionResult.from_json(response.json())

    def get(
        self, form_id: str, instance_id: str, *, project_id: int | None = None
    ) -> SubmissionResult:
        """One submission's REST metadata."""
        path = f"{self._form(form_id, project_id)}/submissions/{quote(instance_id, safe='')}"
        return SubmissionResult.from_json(self.client.get_json(path))
