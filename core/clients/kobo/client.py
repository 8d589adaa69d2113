"""The one KoboToolbox client: a requests.Session with base URL, token, retries and timeout.

Per-resource services hang off `KoboClient` (`assets`, `imports`, `deployments`, `files`,
`hooks`, `data`) and return typed objects. Behaviours relied on are in docs/kobo.md.
The session plumbing (retries, timeout, `Retry-After`, typed errors) is `core.clients.http`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import requests
from urllib3.util import Retry

from core.clients.http import (
    RETRY_STATUSES,
    ErrorClasses,
    HttpClient,
    HttpError,
    retry_after,
    retry_policy,
)
from core.clients.kobo.assets import AssetService
from core.clients.kobo.data import DataService
from core.clients.kobo.deployments import DeploymentService
from core.clients.kobo.errors import (
    KoboAuthError,
    KoboNotFound,
    KoboPermanentError,
    KoboRetryableError,
    KoboTimeout,
)
from core.clients.kobo.files import FileService
from core.clients.kobo.hooks import HookService
from core.clients.kobo.imports import ImportService
from core.clients.kobo.models import SubmitResult

if TYPE_CHECKING:
    from config.settings import Settings

__all__ = ["RETRY_STATUSES", "KoboClient", "default_retry"]


def default_retry(total: int = 4, backoff_factor: float = 1.0, backoff_max: float = 120) -> Retry:
    """Retry policy: 429/502/503/504 with exponential backoff, `Retry-After` honoured.

    GET and the idempotent PUT/PATCH/DELETE are retried; POST never is by urllib3 (the client
    retries the few POSTs that are safe itself, see `KoboClient.request(..., safe=True)`).
    """
    return retry_policy(total, backoff_factor, backoff_max)


class KoboClient(HttpClient):
    """KoboToolbox API v2 (and its OpenRosa submission endpoint) over one `requests.Session`."""

    errors = ErrorClasses(
        KoboRetryableError,
        KoboPermanentError,
        {401: KoboAuthError, 403: KoboAuthError, 404: KoboNotFound},
        timeout=KoboTimeout,
    )
    name = "kobo"

    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        timeout: float = 30.0,
        retries: Retry | None = None,
    ) -> None:
        super().__init__(
            base_url, timeout=timeout, retries=retries if retries is not None else default_retry()
        )
        self.session.headers["Authorization"] = f"Token {token}"
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
        client = cls(settings.kobo_url, settings.kobo_token.get_secret_value(), **kwargs)
        client.url_setting, client.auth_setting = "PANTAU_KOBO_URL", "PANTAU_KOBO_TOKEN"
        return client

    def __repr__(self) -> str:
        return f"KoboClient({self.base_url!r})"

    def _error(self, response: requests.Response, body: Any) -> HttpError:
        """Kobo's error: DRF's `detail` when there is one, and any `Retry-After` it sent."""
        status = response.status_code
        if isinstance(body, dict) and "detail" in body:
            detail = str(body["detail"])
        else:
            detail = (body if isinstance(body, str) else json.dumps(body))[:300]
        message = f"{response.request.method} {response.url} -> {status}: {detail}"
        cls = self.errors.for_status(status)
        return cls(message, status_code=status, body=body, retry_after=retry_after(response))

    def iter_list(self, path: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Yield the results of a paginated DRF list, following `next`."""
        for data in self.iter_json_pages(path, params):
            yield from data.get("results", [])

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


_OPENROSA_MESSAGE = re.compile(r"<message\b([^>]*)>(.*?)</message>", re.DOTALL)
_NATURE = re.compile(r'nature="([^"]*)"')


def _openrosa_message(text: str) -> tuple[str, str | None]:
    # A regex, not an XML parser: the reply is tiny and a parser would trust server XML.
    m = _OPENROSA_MESSAGE.search(text)
    if m is None:
        return text.strip()[:300], None
    nature = _NATURE.search(m.group(1))
    return m.group(2).strip(), nature.group(1) if nature else None
