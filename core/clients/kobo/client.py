"""The one KoboToolbox client: a requests.Session with base URL, token, retries and timeout.

Per-resource services hang off `KoboClient` (`assets`, `imports`, `deployments`, `files`,
`hooks`, `data`) and return typed objects. Behaviours relied on are in ../shared/kobo.md.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator, Mapping
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from core.clients.kobo.assets import AssetService
from core.clients.kobo.data import DataService
from core.clients.kobo.deployments import DeploymentService
from core.clients.kobo.errors import (
    KoboAuthError,
    KoboError,
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

log = logging.getLogger(__name__)

RETRY_STATUSES = (429, 502, 503, 504)


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
