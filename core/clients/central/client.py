"""The one ODK Central client: a requests.Session with base URL, bearer session, retries, timeout.

Why not pyodk: its `Session` (a private module) mounts its retrying, time-limited adapter on
https:// only, so a plain-http server (the stub, a LAN Central) gets neither; it retries 500s
and never renews an expired bearer token (it only logs in when the header is absent); and its
public `Client` insists on a TOML config file. What we need is small enough to own: the
session plumbing shared with the Kobo client is `core.clients.http`, the rest is here.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import requests
from urllib3.util import Retry

from core.clients.central.errors import (
    CentralAuthError,
    CentralConflict,
    CentralDuplicateForm,
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
from core.clients.http import (
    RETRY_STATUSES,
    ErrorClasses,
    HttpClient,
    HttpError,
    retry_policy,
)

if TYPE_CHECKING:
    from config.settings import Settings

log = logging.getLogger(__name__)

__all__ = ["RENEW_MARGIN", "RETRY_STATUSES", "CentralClient", "default_retry"]

# Renew a little before Central's stated expiry so a request never races the deadline.
RENEW_MARGIN = timedelta(seconds=60)
# Central's own codes for the two 409s the publish flow reacts to.
_CONFLICTS: dict[str, type[CentralConflict]] = {
    "409.3": CentralDuplicateForm,
    "409.6": CentralVersionConflict,
}


def default_retry(total: int = 3, backoff_factor: float = 0.5) -> Retry:
    """Retry policy for Central: 429/502/503/504 with backoff, `Retry-After` honoured.

    POST is left out: creating a form or a submission twice is not harmless.
    """
    return retry_policy(total, backoff_factor, backoff_max=60)


def _error_code(body: Any) -> str | None:
    if isinstance(body, dict) and body.get("code") is not None:
        return str(body["code"])
    return None


class CentralClient(HttpClient):
    """ODK Central API v1 over one `requests.Session`; services hang off it."""

    errors = ErrorClasses(
        CentralRetryableError,
        CentralPermanentError,
        {
            401: CentralAuthError,
            403: CentralAuthError,
            404: CentralNotFound,
            409: CentralConflict,  # refined by Central's code, see `_error`
            501: CentralUnsupported,
        },
    )
    name = "central"
    api_prefix = "/v1"

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
        super().__init__(
            base_url, timeout=timeout, retries=retries if retries is not None else default_retry()
        )
        self.email = email
        self._password = password
        self.project_id = project_id
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
        client = cls(
            settings.central_url,
            settings.central_email,
            settings.central_password.get_secret_value(),
            **kwargs,
        )
        client.url_setting = "PANTAU_CENTRAL_URL"
        client.auth_setting = "PANTAU_CENTRAL_EMAIL and PANTAU_CENTRAL_PASSWORD"
        return client

    def __repr__(self) -> str:
        return f"CentralClient({self.base_url!r}, {self.email!r}, project_id={self.project_id})"

    # -- sessions ---------------------------------------------------------------------------

    def login(self) -> CentralSessionToken:
        """Create a new bearer session (`POST /v1/sessions`); Basic auth is refused over http."""
        response = self._send(
            "POST",
            self.api_url + "/sessions",
            json={"email": self.email, "password": self._password},
        )
        self._raise_for(response)
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

    def _checked(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Send with the bearer session; raise typed errors.

        A 401 means the session expired or was revoked: log in again once and resend.
        """
        headers = dict(kwargs.pop("headers", None) or {})
        for attempt in (1, 2):
            headers["Authorization"] = self._bearer()
            response = self._send(method, url, headers=headers, **kwargs)
            if response.status_code == 401 and attempt == 1:
                log.info("central session rejected (%s); logging in again", response.status_code)
                self._token = None
                continue
            break
        self._raise_for(response)
        return response

    def _error(self, response: requests.Response, body: Any) -> HttpError:
        """Central's error, keeping its `code` (409.3 and 409.6 pick their own classes)."""
        status = response.status_code
        code = _error_code(body)
        detail = body.get("message") if isinstance(body, dict) else str(body)[:300]
        message = (
            f"{response.request.method} {response.url} -> {status}"
            f"{f' ({code})' if code else ''}: {detail}"
        )
        cls = _CONFLICTS.get(code or "") if status == 409 else None
        cls = cls or self.errors.for_status(status)
        return cls(message, status_code=status, code=code, body=body)

    def get_json(self, path: str, **kwargs: Any) -> Any:
        """GET and decode JSON."""
        # Kept as it was: unlike Kobo's, a non-JSON answer is not wrapped in a typed error.
        return self.request("GET", path, **kwargs).json()
