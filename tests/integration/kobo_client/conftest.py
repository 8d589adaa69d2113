from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from core.clients.kobo import KoboClient, default_retry
from tests.support.kobo_sandbox import SandboxServer, kobo_sandbox, sample_xlsform

__all__ = ["kobo_sandbox"]


class RequestLog:
    """Responses the client received (after urllib3's own retries), via a session hook."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, response: requests.Response, *args: object, **kwargs: object) -> None:
        self.urls.append(response.url)

    def data_calls(self) -> list[str]:
        return [u for u in self.urls if "/data/" in u]


@pytest.fixture
def request_log() -> RequestLog:
    return RequestLog()


@pytest.fixture
def client(kobo_sandbox: SandboxServer, request_log: RequestLog) -> Iterator[KoboClient]:
    # Short backoff so retried faults keep the suite fast; Retry-After still rules when sent.
    with KoboClient(
        kobo_sandbox.base_url,
        kobo_sandbox.token,
        timeout=5,
        retries=default_retry(total=3, backoff_factor=0.01, backoff_max=0.05),
    ) as c:
        c.session.hooks["response"].append(request_log)
        yield c


@pytest.fixture
def asset_uid(client: KoboClient) -> str:
    uid = client.imports.import_form(sample_xlsform(), name="Client test", interval=0.02)
    client.deployments.deploy(uid)
    return uid
