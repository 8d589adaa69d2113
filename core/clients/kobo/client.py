"""The one KoboToolbox client: a requests.Session with base URL, token, retries and timeout.

Per-resource services hang off `KoboClient` (`assets`, `imports`, `deployments`, `files`,
`hooks`, `data`) and return typed objects. Behaviours relied on are in ../shared/kobo.md.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from core.clients.kobo.errors import (
    KoboAuthError,
    KoboError,
    KoboImportError,
    KoboNotFound,
    KoboPermanentError,
    KoboRetryableError,
    KoboTimeout,
)

if TYPE_CHECKING:
    from config.settings import Settings

log = logging.getLogger(__name__)

RETRY_STATUSES = (429, 502, 503, 504)
# Kobo silently caps `limit` at 1,000; asking for more only hides how many pages there are.
MAX_PAGE_SIZE = 1000
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def default_retry(total: int = 4, backoff_factor: float = 1.0, backoff_max: float = 120) -> Retry:
    """Retry policy: 429/502/503/504 with exponential backoff, `Retry-After` honoured.

    GET and the idempotent PUT/PATCH/DELETE are retried; POST never is by urllib3 (the client
    retries the few POSTs that are safe itself, see `KoboClient.request(..., safe=True)`).
    """
    return Retry(
        total=total,
        connect=total,
        read=total,
        status=total,
        backoff_factor=backoff_factor,
        backoff_max=backoff_max,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"}),
        respect_retry_after_header=True,
        # Hand the last response back so `_raise_for` raises a typed error carrying it.
        raise_on_status=False,
    )


# -- typed results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeployedVersion:
    """One deployed version of an asset (`v…` uid, what arrives as `__version__`)."""

    uid: str
    date_deployed: str | None
    content_hash: str | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DeployedVersion:
        """Build from an entry of `deployed_versions.results`."""
        return cls(data["uid"], data.get("date_deployed"), data.get("content_hash"))


@dataclass(frozen=True)
class Asset:
    """A Kobo asset (a survey, or a library block when `library` was left out of the import)."""

    uid: str
    name: str
    asset_type: str
    url: str | None
    version_id: str | None
    deployed_version_id: str | None
    deployment_active: bool
    deployment_status: str | None
    deployed_versions: tuple[DeployedVersion, ...] = ()
    content_hash: str | None = None

    @property
    def is_deployed(self) -> bool:
        """Whether the asset has ever been deployed (a redeploy is a PATCH, not a POST)."""
        return self.deployed_version_id is not None

    @property
    def needs_redeploy(self) -> bool:
        """Whether the current version is not the deployed one."""
        return self.is_deployed and self.version_id != self.deployed_version_id

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Asset:
        """Build from an asset list item or detail."""
        versions = (data.get("deployed_versions") or {}).get("results") or []
        return cls(
            uid=data["uid"],
            name=data.get("name") or "",
            asset_type=data.get("asset_type") or "",
            url=data.get("url"),
            version_id=data.get("version_id"),
            deployed_version_id=data.get("deployed_version_id"),
            deployment_active=bool(data.get("deployment__active")),
            deployment_status=data.get("deployment_status"),
            deployed_versions=tuple(DeployedVersion.from_json(v) for v in versions),
            content_hash=data.get("version__content_hash"),
        )


@dataclass(frozen=True)
class ImportTask:
    """An XLSForm import and, once complete, the asset it created or updated."""

    uid: str
    status: str
    messages: dict[str, Any] = field(default_factory=dict)

    @property
    def asset_uid(self) -> str | None:
        """The asset uid from `messages.created[0]` or `messages.updated[0]`."""
        for key in ("created", "updated"):
            items = self.messages.get(key) or []
            if items and isinstance(items[0], dict) and items[0].get("uid"):
                return items[0]["uid"]
        return None

    @property
    def error(self) -> str | None:
        """Kobo's error message for a failed import."""
        err = self.messages.get("error")
        if isinstance(err, list):
            return "; ".join(str(e) for e in err)
        return str(err) if err else None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ImportTask:
        """Build from `/api/v2/imports/<uid>/`."""
        return cls(data["uid"], data.get("status") or "", dict(data.get("messages") or {}))


@dataclass(frozen=True)
class Deployment:
    """The answer to a deploy or redeploy."""

    asset_uid: str
    active: bool
    version_id: str | None
    backend: str | None

    @classmethod
    def from_json(cls, asset_uid: str, data: Mapping[str, Any]) -> Deployment:
        """Build from `/api/v2/assets/<uid>/deployment/`."""
        return cls(asset_uid, bool(data.get("active")), data.get("version_id"), data.get("backend"))


@dataclass(frozen=True)
class AssetFile:
    """A file attached to an asset (form media such as a CSV for `select_one_from_file`)."""

    uid: str
    file_type: str
    filename: str
    hash: str | None
    description: str
    date_created: str | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AssetFile:
        """Build from `/api/v2/assets/<uid>/files/` entries."""
        meta = data.get("metadata") or {}
        return cls(
            uid=data["uid"],
            file_type=data.get("file_type") or "",
            filename=meta.get("filename") or "",
            hash=meta.get("hash"),
            description=data.get("description") or "",
            date_created=data.get("date_created"),
        )


@dataclass(frozen=True)
class HookSettings:
    """Basic-auth credentials and static headers a REST Service sends with each delivery."""

    username: str = ""
    password: str = field(default="", repr=False)
    custom_headers: Mapping[str, str] = field(default_factory=dict, repr=False)

    def to_json(self) -> dict[str, Any]:
        """Kobo's `settings` object."""
        return {
            "username": self.username,
            "password": self.password,
            "custom_headers": dict(self.custom_headers),
        }


@dataclass(frozen=True)
class HookSpec:
    """What we ask Kobo to register: JSON deliveries to our webhook, with basic auth."""

    name: str
    endpoint: str
    settings: HookSettings = field(default_factory=HookSettings)
    active: bool = True
    export_type: str = "json"
    auth_level: str = "basic_auth"
    # Leave empty to receive every field: `_id`/`_uuid`/`meta/instanceID` vanish unless listed.
    subset_fields: tuple[str, ...] = ()
    email_notification: bool = True

    def to_json(self) -> dict[str, Any]:
        """The body of a hook create or update."""
        return {
            "name": self.name,
            "endpoint": self.endpoint,
            "active": self.active,
            "export_type": self.export_type,
            "auth_level": self.auth_level,
            "settings": self.settings.to_json(),
            "subset_fields": list(self.subset_fields),
            "email_notification": self.email_notification,
        }


@dataclass(frozen=True)
class Hook:
    """A registered REST Service and its delivery counters."""

    uid: str
    name: str
    endpoint: str
    active: bool
    export_type: str
    auth_level: str
    settings: HookSettings
    subset_fields: tuple[str, ...]
    success_count: int = 0
    failed_count: int = 0
    pending_count: int = 0

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Hook:
        """Build from `/api/v2/assets/<uid>/hooks/` entries."""
        s = data.get("settings") or {}
        return cls(
            uid=data["uid"],
            name=data.get("name") or "",
            endpoint=data.get("endpoint") or "",
            active=bool(data.get("active")),
            export_type=data.get("export_type") or "",
            auth_level=data.get("auth_level") or "",
            settings=HookSettings(
                s.get("username", ""), s.get("password", ""), dict(s.get("custom_headers") or {})
            ),
            subset_fields=tuple(data.get("subset_fields") or ()),
            success_count=int(data.get("success_count") or 0),
            failed_count=int(data.get("failed_count") or 0),
            pending_count=int(data.get("pending_count") or 0),
        )

    def matches(self, spec: HookSpec) -> bool:
        """Whether the hook already is what `spec` asks for (so no update is needed)."""
        return (
            self.name,
            self.endpoint,
            self.active,
            self.export_type,
            self.auth_level,
            self.settings,
            self.subset_fields,
        ) == (
            spec.name,
            spec.endpoint,
            spec.active,
            spec.export_type,
            spec.auth_level,
            HookSettings(
                spec.settings.username, spec.settings.password, dict(spec.settings.custom_headers)
            ),
            tuple(spec.subset_fields),
        )


HOOK_FAILED, HOOK_PENDING, HOOK_SUCCESS = 0, 1, 2


@dataclass(frozen=True)
class HookLog:
    """One delivery of one submission to a hook."""

    uid: str
    submission_id: int | None
    status: int
    status_code: int | None
    message: str
    tries: int
    date_modified: str | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> HookLog:
        """Build from `…/hooks/<uid>/logs/` entries."""
        return cls(
            uid=data["uid"],
            submission_id=data.get("submission_id"),
            status=int(data.get("status", -1)),
            status_code=data.get("status_code"),
            message=str(data.get("message") or ""),
            tries=int(data.get("tries") or 0),
            date_modified=data.get("date_modified"),
        )


@dataclass(frozen=True)
class SubmissionPage:
    """One page of the data API: Kobo's string-valued flat submission dicts."""

    count: int
    results: list[dict[str, Any]]
    next: str | None
    previous: str | None = None


@dataclass(frozen=True)
class ManifestEntry:
    """`_id` (stable across edits) and `_uuid` (changes on every edit) of one submission."""

    id: int
    uuid: str


@dataclass(frozen=True)
class SubmitResult:
    """Kobo's OpenRosa answer to a submission: 201 created, 202 duplicate."""

    status_code: int
    message: str
    nature: str | None = None

    @property
    def created(self) -> bool:
        """A new submission (or an edit) was stored."""
        return self.status_code == 201

    @property
    def duplicate(self) -> bool:
        """The same instance had been received before; nothing was stored."""
        return self.status_code == 202


# -- the client ---------------------------------------------------------------------------------


def _body(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def _retry_after(response: requests.Response | None) -> float | None:
    if response is None:
        return None
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def _raise_for(response: requests.Response) -> None:
    """Map a non-2xx answer to a typed error: the one place that decides retryability."""
    status = response.status_code
    if status < 400:
        return
    body = _body(response)
    if isinstance(body, dict) and "detail" in body:
        detail = str(body["detail"])
    else:
        detail = (body if isinstance(body, str) else json.dumps(body))[:300]
    message = f"{response.request.method} {response.url} -> {status}: {detail}"
    cls: type[KoboError]
    if status in RETRY_STATUSES:
        cls = KoboRetryableError
    elif status in (401, 403):
        cls = KoboAuthError
    elif status == 404:
        cls = KoboNotFound
    else:
        cls = KoboPermanentError
    raise cls(message, status_code=status, body=body, retry_after=_retry_after(response))


class KoboClient:
    """KoboToolbox API v2 (and its OpenRosa submission endpoint) over one `requests.Session`."""

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 30.0,
        retries: Retry | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries if retries is not None else default_retry()
        self.session = requests.Session()
        adapter = HTTPAdapter(max_retries=self.retries)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update(
            {"Authorization": f"Token {token}", "User-Agent": "pantau-kobo-client"}
        )
        self.assets = AssetService(self)
        self.imports = ImportService(self)
        self.deployments = DeploymentService(self)
        self.files = FileService(self)
        self.hooks = HookService(self)
        self.data = DataService(self)

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> KoboClient:
        """Client for the server named by `PANTAU_KOBO_URL` / `PANTAU_KOBO_TOKEN`."""
        if not settings.kobo_url:
            raise KoboPermanentError("PANTAU_KOBO_URL is not set")
        kwargs: dict[str, Any] = {"timeout": settings.http_timeout}
        kwargs.update(overrides)
        return cls(settings.kobo_url, settings.kobo_token.get_secret_value(), **kwargs)

    def __repr__(self) -> str:
        return f"KoboClient({self.base_url!r})"

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()

    def __enter__(self) -> KoboClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path: str) -> str:
        """Absolute URL for a path (full URLs, such as `next` links, pass through)."""
        if path.startswith(("http://", "https://")):
            return path
        return self.base_url + path

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        try:
            return self.session.request(method, url, **kwargs)
        except requests.Timeout as exc:
            raise KoboTimeout(f"{method} {url}: no answer within {kwargs['timeout']} s") from exc
        except requests.ConnectionError as exc:
            # urllib3 wraps a read timeout that exhausted its retries as a connection error.
            if "timed out" in str(exc).lower():
                raise KoboTimeout(f"{method} {url}: {exc}") from exc
            raise KoboRetryableError(f"{method} {url}: {exc}") from exc
        except requests.RequestException as exc:
            raise KoboPermanentError(f"{method} {url}: {exc}") from exc

    def request(
        self, method: str, path: str, *, safe: bool = False, **kwargs: Any
    ) -> requests.Response:
        """Send a request; raise a typed error for a failure.

        `safe=True` marks a POST that may be repeated without harm (Kobo dedupes a repeated
        submission by instance id and refuses a second first-deploy with 405): it is retried
        here with the same policy urllib3 applies to GETs.
        """
        url = self.url(path)
        if not safe or method.upper() != "POST":
            response = self._send(method, url, **kwargs)
            _raise_for(response)
            return response
        attempts = (self.retries.total or 0) + 1 if self.retries.total is not False else 1
        for attempt in range(1, attempts + 1):
            try:
                response = self._send(method, url, **_rewind(kwargs))
                _raise_for(response)
                return response
            except KoboRetryableError as exc:
                if attempt == attempts:
                    raise
                wait = self._backoff(attempt, exc)
                log.info("kobo %s %s failed (%s); retrying in %.2f s", method, url, exc, wait)
                time.sleep(wait)
        raise AssertionError("unreachable")

    def _backoff(self, attempt: int, exc: KoboRetryableError) -> float:
        hinted = None
        if exc.status_code in (429, 503) and self.retries.respect_retry_after_header:
            hinted = exc.retry_after
        factor = self.retries.backoff_factor
        computed = min(self.retries.backoff_max, factor * (2 ** (attempt - 1)))
        return hinted if hinted is not None else computed

    def get_json(self, path: str, **kwargs: Any) -> Any:
        """GET and decode JSON."""
        response = self.request("GET", path, **kwargs)
        try:
            return response.json()
        except ValueError as exc:
            raise KoboPermanentError(
                f"GET {response.url}: expected JSON, got {response.text[:200]!r}",
                status_code=response.status_code,
                body=response.text,
            ) from exc

    def iter_list(self, path: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Yield the results of a paginated DRF list, following `next`."""
        url: str | None = path
        first = True
        while url:
            data = self.get_json(url, params=params if first else None)
            first = False
            yield from data.get("results", [])
            url = data.get("next")

    def submit_xml(
        self,
        xml: bytes,
        attachments: Mapping[str, tuple[bytes, str]] | None = None,
        username: str | None = None,
    ) -> SubmitResult:
        """Submit an instance as ODK Collect does (`POST /submission`, `xml_submission_file`).

        Safe to retry: Kobo answers a repeated instance id with 202 and stores nothing.
        """
        files: list[tuple[str, tuple[str, bytes, str]]] = [
            ("xml_submission_file", ("submission.xml", xml, "text/xml"))
        ]
        for name, (content, mimetype) in (attachments or {}).items():
            files.append((name, (name, content, mimetype)))
        path = f"/{username}/submission" if username else "/submission"
        response = self.request(
            "POST", path, safe=True, files=files, headers={"X-OpenRosa-Version": "1.0"}
        )
        message, nature = _openrosa_message(response.text)
        return SubmitResult(response.status_code, message, nature)


def _rewind(kwargs: dict[str, Any]) -> dict[str, Any]:
    # A file object read by the previous attempt must start from the beginning again.
    for value in (
        (kwargs.get("files") or {}).values() if isinstance(kwargs.get("files"), dict) else []
    ):
        if hasattr(value, "seek"):
            value.seek(0)
    return kwargs


_OPENROSA_MESSAGE = re.compile(r"<message\b([^>]*)>(.*?)</message>", re.DOTALL)
_NATURE = re.compile(r'nature="([^"]*)"')


def _openrosa_message(text: str) -> tuple[str, str | None]:
    # A regex, not an XML parser: the reply is tiny and a parser would trust server XML.
    m = _OPENROSA_MESSAGE.search(text)
    if m is None:
        return text.strip()[:300], None
    nature = _NATURE.search(m.group(1))
    return m.group(2).strip(), nature.group(1) if nature else None


# -- services -----------------------------------------------------------------------------------


class AssetService:
    """`/api/v2/assets/`."""

    def __init__(self, client: KoboClient) -> None:
        self.client = client

    def list(self, asset_type: str | None = None) -> list[Asset]:
        """Every asset the token can see (optionally only one `asset_type`)."""
        params = {"q": f"asset_type:{asset_type}"} if asset_type else {}
        assets = [Asset.from_json(a) for a in self.client.iter_list("/api/v2/assets/", **params)]
        # Filter here too: not every server honours `q`.
        return [a for a in assets if asset_type is None or a.asset_type == asset_type]

    def get(self, uid: str) -> Asset:
        """One asset with its version and deployment state."""
        return Asset.from_json(self.client.get_json(f"/api/v2/assets/{uid}/"))

    def find_by_name(self, name: str) -> Asset | None:
        """The survey with this name, if any (names are not unique in Kobo: first match)."""
        for asset in self.list():
            if asset.name == name and asset.asset_type == "survey":
                return asset
        return None


class ImportService:
    """`/api/v2/imports/`: XLSForm in, asset out."""

    def __init__(self, client: KoboClient) -> None:
        self.client = client

    def create(
        self,
        xlsform: bytes | Path,
        *,
        name: str | None = None,
        destination: str | None = None,
        filename: str | None = None,
    ) -> str:
        """Start an import as a survey (`library=false`); return the import uid.

        Without `library=false` Kobo makes a library block, not a deployable survey.
        `destination` (an asset uid or URL) replaces that asset's content with a new version.
        """
        if isinstance(xlsform, Path):
            filename = filename or xlsform.name
            content = xlsform.read_bytes()
        else:
            content = xlsform
        data: dict[str, str] = {"library": "false"}
        if name:
            data["name"] = name
        if destination:
            data["destination"] = (
                destination
                if destination.startswith(("http://", "https://"))
                else self.client.url(f"/api/v2/assets/{destination}/")
            )
        files = {"file": (filename or "form.xlsx", content, XLSX_TYPE)}
        response = self.client.request("POST", "/api/v2/imports/", data=data, files=files)
        return response.json()["uid"]

    def get(self, uid: str) -> ImportTask:
        """The import's status and messages."""
        return ImportTask.from_json(self.client.get_json(f"/api/v2/imports/{uid}/"))

    def wait(self, uid: str, *, timeout: float = 120.0, interval: float = 0.5) -> str:
        """Poll until the import completes; return the asset uid.

        Raises KoboImportError (Kobo's message) on `error`, KoboTimeout past the deadline.
        """
        deadline = time.monotonic() + timeout
        delay = interval
        while True:
            task = self.get(uid)
            if task.status == "complete":
                if task.asset_uid is None:
                    raise KoboImportError(
                        f"import {uid} completed without an asset: {task.messages}"
                    )
                return task.asset_uid
            if task.status == "error":
                raise KoboImportError(f"import {uid} failed: {task.error or task.messages}")
            if time.monotonic() + delay > deadline:
                raise KoboTimeout(f"import {uid} still {task.status!r} after {timeout} s")
            time.sleep(delay)
            delay = min(delay * 1.5, 5.0)

    def import_form(
        self,
        xlsform: bytes | Path,
        *,
        name: str | None = None,
        destination: str | None = None,
        timeout: float = 120.0,
        interval: float = 0.5,
    ) -> str:
        """Import and wait; return the asset uid."""
        uid = self.create(xlsform, name=name, destination=destination)
        return self.wait(uid, timeout=timeout, interval=interval)


class DeploymentService:
    """`/api/v2/assets/<uid>/deployment/`."""

    def __init__(self, client: KoboClient) -> None:
        self.client = client

    def _path(self, asset_uid: str) -> str:
        return f"/api/v2/assets/{asset_uid}/deployment/"

    def get(self, asset_uid: str) -> Deployment:
        """The current deployment (404 before the first deploy)."""
        return Deployment.from_json(asset_uid, self.client.get_json(self._path(asset_uid)))

    def deploy(self, asset_uid: str) -> Deployment:
        """First deploy (POST); Kobo answers 405 if the asset is already deployed."""
        response = self.client.request(
            "POST", self._path(asset_uid), safe=True, json={"active": True}
        )
        return Deployment.from_json(asset_uid, response.json())

    def redeploy(self, asset_uid: str, version_id: str) -> Deployment:
        """Deploy the asset's current version (PATCH with its `version_id`)."""
        response = self.client.request(
            "PATCH", self._path(asset_uid), json={"active": True, "version_id": version_id}
        )
        return Deployment.from_json(asset_uid, response.json())

    def archive(self, asset_uid: str) -> Deployment:
        """Stop accepting submissions (Kobo then answers 405 to them)."""
        response = self.client.request("PATCH", self._path(asset_uid), json={"active": False})
        return Deployment.from_json(asset_uid, response.json())

    def ensure_deployed(self, asset: Asset) -> Deployment | None:
        """Deploy or redeploy so the current version is live; None when it already is."""
        if not asset.is_deployed:
            return self.deploy(asset.uid)
        if asset.version_id and (asset.needs_redeploy or not asset.deployment_active):
            return self.redeploy(asset.uid, asset.version_id)
        return None


class FileService:
    """`/api/v2/assets/<uid>/files/`: form media."""

    def __init__(self, client: KoboClient) -> None:
        self.client = client

    def list(self, asset_uid: str, file_type: str | None = "form_media") -> list[AssetFile]:
        """Files of the asset (form media by default)."""
        params = {"file_type": file_type} if file_type else {}
        items = self.client.iter_list(f"/api/v2/assets/{asset_uid}/files/", **params)
        files = [AssetFile.from_json(f) for f in items]
        return [f for f in files if file_type is None or f.file_type == file_type]

    def upload_media(
        self,
        asset_uid: str,
        filename: str,
        content: bytes,
        *,
        content_type: str = "text/csv",
        description: str = "",
    ) -> AssetFile:
        """Upload a form media file; a redeploy is needed for devices to get it."""
        response = self.client.request(
            "POST",
            f"/api/v2/assets/{asset_uid}/files/",
            data={
                "file_type": "form_media",
                "description": description or filename,
                "metadata": json.dumps({"filename": filename}),
            },
            files={"content": (filename, content, content_type)},
        )
        return AssetFile.from_json(response.json())

    def delete(self, asset_uid: str, file_uid: str) -> None:
        """Remove a file (before uploading its replacement)."""
        self.client.request("DELETE", f"/api/v2/assets/{asset_uid}/files/{file_uid}/")


class HookService:
    """`/api/v2/assets/<uid>/hooks/`: REST Services that POST submissions to us."""

    def __init__(self, client: KoboClient) -> None:
        self.client = client

    def _path(self, asset_uid: str, hook_uid: str | None = None) -> str:
        base = f"/api/v2/assets/{asset_uid}/hooks/"
        return f"{base}{hook_uid}/" if hook_uid else base

    def list(self, asset_uid: str) -> list[Hook]:
        """Hooks of the asset."""
        return [Hook.from_json(h) for h in self.client.iter_list(self._path(asset_uid))]

    def get(self, asset_uid: str, hook_uid: str) -> Hook:
        """One hook."""
        return Hook.from_json(self.client.get_json(self._path(asset_uid, hook_uid)))

    def create(self, asset_uid: str, spec: HookSpec) -> Hook:
        """Register a hook (POST is not retried: a repeat would register two)."""
        response = self.client.request("POST", self._path(asset_uid), json=spec.to_json())
        return Hook.from_json(response.json())

    def update(self, asset_uid: str, hook_uid: str, spec: HookSpec) -> Hook:
        """Replace the hook's fields with `spec` (PATCH)."""
        response = self.client.request(
            "PATCH", self._path(asset_uid, hook_uid), json=spec.to_json()
        )
        return Hook.from_json(response.json())

    def delete(self, asset_uid: str, hook_uid: str) -> None:
        """Remove a hook."""
        self.client.request("DELETE", self._path(asset_uid, hook_uid))

    def ensure(self, asset_uid: str, spec: HookSpec) -> tuple[Hook, str]:
        """Create or update the hook named `spec.name`; say created, updated or unchanged."""
        for hook in self.list(asset_uid):
            if hook.name == spec.name:
                if hook.matches(spec):
                    return hook, "unchanged"
                return self.update(asset_uid, hook.uid, spec), "updated"
        return self.create(asset_uid, spec), "created"

    def logs(self, asset_uid: str, hook_uid: str, status: int | None = None) -> list[HookLog]:
        """Delivery logs (status 0 failed, 1 pending, 2 success)."""
        params = {"status": status} if status is not None else {}
        items = self.client.iter_list(f"{self._path(asset_uid, hook_uid)}logs/", **params)
        return [HookLog.from_json(lg) for lg in items]

    def retry(self, asset_uid: str, hook_uid: str) -> list[str]:
        """Re-send every failed delivery; return the uids of the logs queued again."""
        response = self.client.request("PATCH", f"{self._path(asset_uid, hook_uid)}retry/")
        return list(response.json().get("pending_uids") or [])


class DataService:
    """`/api/v2/assets/<uid>/data/`: submissions, paged with `start`/`limit`."""

    def __init__(self, client: KoboClient) -> None:
        self.client = client

    def iter_pages(
        self,
        asset_uid: str,
        query: Mapping[str, Any] | None = None,
        fields: Sequence[str] | None = None,
        sort: Mapping[str, int] | None = None,
        page_size: int = MAX_PAGE_SIZE,
        start: int = 0,
    ) -> Iterator[SubmissionPage]:
        """Yield pages lazily, following `next`: one page in memory, fetched when asked for.

        `page_size` is capped at 1,000 (Kobo caps `limit` silently). Incremental pulls:
        `query={"_id": {"$gt": last}}`, `sort={"_id": 1}`.
        """
        if page_size < 1:
            raise ValueError("page_size must be positive")
        params: dict[str, Any] = {
            "format": "json",
            "limit": min(page_size, MAX_PAGE_SIZE),
        }
        if start:
            params["start"] = start
        if query is not None:
            params["query"] = json.dumps(query, separators=(",", ":"))
        if fields is not None:
            params["fields"] = json.dumps(list(fields), separators=(",", ":"))
        if sort is not None:
            params["sort"] = json.dumps(dict(sort), separators=(",", ":"))
        url: str | None = f"/api/v2/assets/{asset_uid}/data/"
        first = True
        while url:
            data = self.client.get_json(url, params=params if first else None)
            first = False
            page = SubmissionPage(
                count=int(data.get("count") or 0),
                results=list(data.get("results") or []),
                next=data.get("next"),
                previous=data.get("previous"),
            )
            url = page.next
            yield page

    def iter_submissions(
        self,
        asset_uid: str,
        query: Mapping[str, Any] | None = None,
        fields: Sequence[str] | None = None,
        sort: Mapping[str, int] | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> Iterator[dict[str, Any]]:
        """Yield submissions one by one, a page fetched only when the previous one is used up."""
        for page in self.iter_pages(asset_uid, query, fields, sort, page_size):
            yield from page.results

    def iter_new(
        self, asset_uid: str, after_id: int = 0, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[dict[str, Any]]:
        """Submissions with `_id` greater than `after_id`, oldest first (no edits: see manifest)."""
        return self.iter_submissions(
            asset_uid, query={"_id": {"$gt": after_id}}, sort={"_id": 1}, page_size=page_size
        )

    def iter_after(
        self,
        asset_uid: str,
        after_id: int = 0,
        query: Mapping[str, Any] | None = None,
        fields: Sequence[str] | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> Iterator[SubmissionPage]:
        """Yield pages of records with `_id` > after_id, each page asked for by `_id`.

        Keyset paging: `next` links page by offset (`start=`), so a record deleted on the
        server while we page would shift the rest and one record would never be seen.
        """
        last = after_id
        while True:
            page = next(
                self.iter_pages(
                    asset_uid,
                    query={**(query or {}), "_id": {"$gt": last}},
                    fields=fields,
                    sort={"_id": 1},
                    page_size=page_size,
                )
            )
            yield page
            if not page.results or page.next is None:
                return
            last = max(int(r["_id"]) for r in page.results)

    def manifest(self, asset_uid: str, page_size: int = MAX_PAGE_SIZE) -> Iterator[ManifestEntry]:
        """Yield (`_id`, `_uuid`) of every submission, the light list to find edits and deletes.

        A changed `_uuid` is an edit; an `_id` gone is a (hard) delete.
        """
        for page in self.iter_after(asset_uid, 0, fields=["_id", "_uuid"], page_size=page_size):
            for sub in page.results:
                yield ManifestEntry(int(sub["_id"]), str(sub["_uuid"]))

    def get_submission(self, asset_uid: str, submission_id: int) -> dict[str, Any]:
        """One submission by `_id`."""
        return self.client.get_json(f"/api/v2/assets/{asset_uid}/data/{submission_id}/")

    def delete_submission(self, asset_uid: str, submission_id: int) -> None:
        """Hard-delete one submission (it then answers 404; its `_id` is never reused)."""
        self.client.request("DELETE", f"/api/v2/assets/{asset_uid}/data/{submission_id}/")
