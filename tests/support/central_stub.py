"""Serve the ODK-Central-compatible stub on a free loopback port for a test."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from sandbox.central import CentralStubState, create_central_stub, serve_stub

EMAIL = "admin@example.org"
PASSWORD = "stub-secret"


@dataclass
class RunningCentralStub:
    """A stub being served: its base URL (no trailing slash) and its state."""

    url: str
    state: CentralStubState
    email: str = EMAIL
    password: str = PASSWORD


@contextmanager
def serve_central_stub(*, dated: bool = True, **kwargs: Any) -> Iterator[RunningCentralStub]:
    """Run `create_central_stub(**kwargs)` in a background thread; yield where it listens."""
    kwargs.setdefault("users", {EMAIL: PASSWORD})
    app = create_central_stub(**kwargs)
    server = serve_stub(app, "127.0.0.1", 0, dated=dated)
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="central-stub", daemon=True
    )
    thread.start()
    try:
        yield RunningCentralStub(
            url=f"http://127.0.0.1:{server.server_port}", state=app.extensions["central_stub"]
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def central_stub() -> Iterator[RunningCentralStub]:
    """A fresh Central stub per test."""
    with serve_central_stub() as running:
        yield running
