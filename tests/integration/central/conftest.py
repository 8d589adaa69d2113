from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.clients.central import CentralClient, default_retry
from tests.support.central_stub import RunningCentralStub, central_stub  # noqa: F401


@pytest.fixture
def client(central_stub: RunningCentralStub) -> Iterator[CentralClient]:  # noqa: F811
    with CentralClient(
        central_stub.url,
        central_stub.email,
        central_stub.password,
        project_id=1,
        timeout=10,
        retries=default_retry(total=2, backoff_factor=0.01),
    ) as c:
        yield c
