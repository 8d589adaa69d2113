"""One HTTP session per remote API: base URL, retries, timeout, `Retry-After`, typed errors.

The Kobo and Central clients subclass `HttpClient` (the model is pyodk's `_utils/session.py`)
and keep only what is their own: authentication, how their server words an error, and the
resources of their API. Each names its error classes (all `HttpError`s) in an `ErrorClasses`
table, so a failure always surfaces as that client's own retryable or permanent error.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar, Self

import requests
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from core.domain.errors import PantauError

RETRY_STATUSES = (429, 502, 503, 504)
# urllib3 repeats these; POST never (see `HttpClient.request(..., safe=True)`).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE"})


# What urllib3 says deep inside a connection error, and how a person would say it.
CONNECT_REASONS = (
    ("Connection refused", "connection refused"),
    ("Name or service not known", "unknown host name"),
    ("nodename nor servname", "unknown host name"),
    ("Failed to resolve", "unknown host name"),
    ("Temporary failure in name resolution", "host name cannot be resolved (network down?)"),
    ("No route to host", "no route to host"),
    ("Network is unreachable", "network unreachable"),
    ("CERTIFICATE_VERIFY_FAILED", "its TLS certificate is not trusted"),
    ("SSLError", "TLS handshake failed"),
)


class HttpError(PantauError):
    """Base of the errors of every HTTP client; carries the server's answer when there was one."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        body: Any = None,
        retry_after: float | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.body = body
        # Seconds the server asked us to wait (429/503 `Retry-After`), for a task's countdown.
        self.retry_after = retry_after
        # The server's own error code, e.g. Central's "409.6" (sent as a JSON number, kept as text).
        self.code = code


def retry_policy(total: int, backoff_factor: float, backoff_max: float) -> Retry:
    """urllib3 retries on 429/502/503/504 with exponential backoff, `Retry-After` honoured."""
    return Retry(
        total=total,
        # A refused connection or an unknown host is a wrong URL or a server that is down:
        # retried once, not for 15 s of backoff a person waits through before learning it.
        # A task's own retry (with its longer backoff) covers an outage.
        connect=min(total, 1),
        read=total,
        status=total,
        backoff_factor=backoff_factor,
        backoff_max=backoff_max,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=IDEMPOTENT_METHODS,
        respect_retry_after_header=True,
        # Hand the last response back so `_raise_for` raises a typed error carrying it.
        raise_on_status=False,
    )


def response_body(response: requests.Response) -> Any:
    """The answer's JSON, or its text when it is not JSON."""
    try:
        return response.json()
    except ValueError:
        return response.text


def retry_after(response: requests.Response | None) -> float | None:
    """Seconds the server asked us to wait (`Retry-After` as seconds or an HTTP date)."""
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


@dataclass(frozen=True)
class ErrorClasses:
    """The error classes one client raises: retryable, permanent, and one per special status."""

    retryable: type[HttpError]
    permanent: type[HttpError]
    # e.g. 401/403 -> the auth error, 404 -> not found; any other 4xx/5xx is `permanent`.
    by_status: Mapping[int, type[HttpError]] = field(default_factory=dict)
    # None: a timeout is reported like any other failed connection (as `retryable`).
    timeout: type[HttpError] | None = None

    def for_status(self, status: int) -> type[HttpError]:
        """The class for a non-2xx status: the one place that decides retryability."""
        if status in RETRY_STATUSES:
            return self.retryable
        return self.by_status.get(status, self.permanent)


class HttpClient:
    """A `requests.Session` with base URL, default timeout, retries and typed errors."""

    #: The client's error classes; `_send`, `_raise_for` and the safe-POST loop raise these.
    errors: ClassVar[ErrorClasses]
    #: Short name of the remote API, in log lines and the User-Agent ("kobo", "central").
    name: ClassVar[str] = "http"
    #: Where the API lives under the base URL (relative paths are resolved against it).
    api_prefix: ClassVar[str] = ""

    def __init__(self, base_url: str, *, timeout: float, retries: Retry) -> None:
        # The settings that name this server and its credentials (set by `from_settings`), so
        # that a refused connection or a refused login says which one to fix.
        self.url_setting: str | None = None
        self.auth_setting: str | None = None
        self.base_url = base_url.rstrip("/")
        self.api_url = self.base_url + self.api_prefix
        self.timeout = timeout
        self.retries = retries
        self.session = requests.Session()
        adapter = HTTPAdapter(max_retries=retries)
        # Both schemes: a plain-http server (the sandbox, a LAN Central) needs retries too.
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = f"pantau-{self.name}-client"
        # Log under the concrete client's module, where its log lines always came from.
        self._log = logging.getLogger(type(self).__module__)

    def close(self) -> None:
        """Close the pooled connections."""
        self.session.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path: str) -> str:
        """Absolute URL for a path (full URLs, such as `next` links, pass through)."""
        if path.startswith(("http://", "https://")):
            return path
        return self.api_url + path

    def _send(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """Send once (urllib3 retrying as configured); a transport failure becomes a typed error."""
        kwargs.setdefault("timeout", self.timeout)
        errors = self.errors
        try:
            return self.session.request(method, url, **kwargs)
        except requests.Timeout as exc:
            if errors.timeout is None:
                raise errors.retryable(f"{method} {url}: {exc}") from exc
            raise errors.timeout(f"{method} {url}: no answer within {kwargs['timeout']} s") from exc
        except requests.ConnectionError as exc:
            # urllib3 wraps a read timeout that exhausted its retries as a connection error.
            if errors.timeout is not None and "timed out" in str(exc).lower():
                raise errors.timeout(f"{method} {url}: {exc}") from exc
            raise errors.retryable(self._unreachable(exc)) from exc
        except requests.RequestException as exc:
            raise errors.permanent(f"{method} {url}: {exc}") from exc

    def _unreachable(self, exc: requests.ConnectionError) -> str:
        """`cannot connect to URL: why (check PANTAU_…_URL)`, not urllib3's retry chatter."""
        text = str(exc)
        reason = next((why for key, why in CONNECT_REASONS if key in text), "connection failed")
        hint = f" (check {self.url_setting})" if self.url_setting else ""
        return f"cannot connect to {self.base_url}: {reason}{hint}"

    def _raise_for(self, response: requests.Response) -> None:
        """Raise the client's typed error for a non-2xx answer."""
        if response.status_code < 400:
            return
        error = self._error(response, response_body(response))
        if response.status_code in (401, 403) and self.auth_setting:
            error.args = (f"{error} (check {self.auth_setting})",)
        raise error

    def _error(self, response: requests.Response, body: Any) -> HttpError:
        """The typed error for a non-2xx answer (each client words its server's errors)."""
        raise NotImplementedError

    def _checked(self, method: str, url: str, **kwargs: Any) -> requests.Response:
        """One request whose failure is raised as a typed error (a client may add its auth)."""
        response = self._send(method, url, **kwargs)
        self._raise_for(response)
        return response

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
            return self._checked(method, url, **kwargs)
        attempts = (self.retries.total or 0) + 1 if self.retries.total is not False else 1
        for attempt in range(1, attempts + 1):
            try:
                return self._checked(method, url, **_rewind(kwargs))
            except self.errors.retryable as exc:
                if attempt == attempts:
                    raise
                wait = self._backoff(attempt, exc)
                self._log.info(
                    "%s %s %s failed (%s); retrying in %.2f s", self.name, method, url, exc, wait
                )
                time.sleep(wait)
        raise AssertionError("unreachable")

    def _backoff(self, attempt: int, exc: HttpError) -> float:
        hinted = None
        if exc.status_code in (429, 503) and self.retries.respect_retry_after_header:
            hinted = exc.retry_after
        factor = self.retries.backoff_factor
        computed = min(self.retries.backoff_max, factor * (2 ** (attempt - 1)))
        return hinted if hinted is not None else computed

    def get_json(self, path: str, **kwargs: Any) -> Any:
        """GET and decode JSON."""
        return self._json(self.request("GET", path, **kwargs))

    def _json(self, response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise self.errors.permanent(
                f"GET {response.url}: expected JSON, got {response.text[:200]!r}",
                status_code=response.status_code,
                body=response.text,
            ) from exc

    def iter_json_pages(
        self, path: str, params: Mapping[str, Any] | None = None, next_key: str = "next"
    ) -> Iterator[Any]:
        """GET a paged answer and yield it, then each page its `next_key` link names, lazily.

        `params` go with the first request only: a next link already carries them.
        """
        for data, _response in self.iter_json_responses(path, params, next_key):
            yield data

    def iter_json_responses(
        self, path: str, params: Mapping[str, Any] | None = None, next_key: str = "next"
    ) -> Iterator[tuple[Any, requests.Response]]:
        """As iter_json_pages, each page with its response (for headers such as `Date`)."""
        url: str | None = path
        first = True
        while url:
            response = self.request("GET", url, params=params if first else None)
            first = False
            data = self._json(response)
            yield data, response
            url = data.get(next_key)


def _rewind(kwargs: dict[str, Any]) -> dict[str, Any]:
    # A file object read by the previous attempt must start from the beginning again.
    files = kwargs.get("files")
    for value in files.values() if isinstance(files, dict) else []:
        if hasattr(value, "seek"):
            value.seek(0)
    return kwargs
