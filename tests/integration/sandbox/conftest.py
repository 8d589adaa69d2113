from __future__ import annotations

import pytest

from tests.support.kobo_sandbox import HookReceiver, SandboxServer, kobo_sandbox, sample_xlsform

__all__ = ["kobo_sandbox"]


@pytest.fixture
def xlsx() -> bytes:
    return sample_xlsform()


@pytest.fixture
def asset_uid(kobo_sandbox: SandboxServer, xlsx: bytes) -> str:
    uid = kobo_sandbox.import_form(xlsx)
    kobo_sandbox.deploy(uid)
    return uid


@pytest.fixture
def receiver():
    rec = HookReceiver()
    yield rec
    rec.close()
