"""The one ODK Central client: a requests.Session with base URL, bearer session, retries, timeout.

Why not pyodk: its `Session` (a private module) mounts its retrying, time-limited adapter on
https:// only, so a plain-http server (the stub, a LAN Central) gets neither; it retries 500s
and never renews an expired bearer token (it only logs in when the header is absent); and its
public `Client` insists on a TOML config file. What we need is small enough to own.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

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
from core.clients.central.forms import FormService
from core.clients.central.models import CentralSessionToken
from core.clients.central.odata import parse_time
from core.clients.central.submissions import SubmissionService

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
