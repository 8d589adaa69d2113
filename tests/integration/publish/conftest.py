"""Fixtures for publishing: the Kobo sandbox, the Central stub, a private copy of xlsforms/."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.orm import Session, sessionmaker

from core.clients.central import CentralClient
from core.clients.central import default_retry as central_retry
from core.clients.kobo import KoboClient
from core.clients.kobo import default_retry as kobo_retry
from core.store.db import session_scope
from core.usecases.publish import PublishError, PublishResult
from tests.conftest import make_settings
from tests.support.central_stub import central_stub  # noqa: F401 - fixture
from tests.support.kobo_sandbox import SandboxServer, kobo_sandbox  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parents[3]
FORMS_DIR = ROOT / "xlsforms"
FORM_IDS = [
    "pertemuan_imp",
    "kie_konseling",
    "keluarga_risiko",
    "profil_imp",
    "laporan_bulanan_imp",
]
PUBLIC_URL = "http://127.0.0.1:9"


@pytest.fixture
def forms_dir(tmp_path: Path) -> Path:
    """A private copy of xlsforms/ (forms + contract) that a test may change."""
    target = tmp_path / "xlsforms"
    shutil.copytree(FORMS_DIR, target, ignore=shutil.ignore_patterns("~$*"))
    return target


@pytest.fixture
def kobo_settings(settings, kobo_sandbox, forms_dir, tmp_path):  # noqa: F811
    """Settings on the test's database, pointing at the sandbox and the forms copy."""
    return make_settings(
        tmp_path,
        database_url=settings.database_url,
        kobo_url=kobo_sandbox.base_url,
        kobo_token=kobo_sandbox.token,
        public_url=PUBLIC_URL,
        forms_dir=forms_dir,
    )


@pytest.fixture
def kobo(kobo_sandbox) -> Iterator[KoboClient]:  # noqa: F811
    """A client on the sandbox with quick retries."""
    with KoboClient(
        kobo_sandbox.base_url, kobo_sandbox.token, retries=kobo_retry(2, 0.01, 0.05)
    ) as client:
        yield client


@pytest.fixture
def central_settings(settings, central_stub, forms_dir, tmp_path):  # noqa: F811
    """Settings on the test's database, pointing at the Central stub."""
    return settings_at_central(settings, central_stub, forms_dir, tmp_path)


def settings_at_central(settings, stub, forms_dir: Path, tmp_path: Path):
    """Settings on the database of `settings`, pointing at a running Central stub."""
    return make_settings(
        tmp_path,
        database_url=settings.database_url,
        central_url=stub.url,
        central_email=stub.email,
        central_password=stub.password,
        central_project=1,
        forms_dir=forms_dir,
    )


@pytest.fixture
def central(central_settings) -> Iterator[CentralClient]:
    """A client on the stub."""
    with CentralClient.from_settings(central_settings, retries=central_retry(2, 0.01)) as client:
        yield client


def run(
    factory: sessionmaker[Session], publish: Callable[..., PublishResult], *args: Any, **kw: Any
) -> PublishResult:
    """Publish in one unit of work, as the CLI does."""
    kw.setdefault("actor", "tester")
    with session_scope(factory) as s:
        return publish(s, *args, **kw)


def run_failing(
    factory: sessionmaker[Session], publish: Callable[..., PublishResult], *args: Any, **kw: Any
) -> PublishError:
    """Publish expecting PublishError; commit what the session holds, as the CLI does."""
    kw.setdefault("actor", "tester")
    s = factory()
    try:
        with pytest.raises(PublishError) as info:
            publish(s, *args, **kw)
        s.commit()
    finally:
        s.close()
    return info.value


def asset_doc(sb: SandboxServer, uid: str) -> dict:
    """The asset as the sandbox's API shows it."""
    resp = sb.api("GET", f"/api/v2/assets/{uid}/")
    assert resp.status_code == 200, resp.text
    return resp.json()


def set_cell(path: Path, sheet: str, name: str, column: str, value: str) -> None:
    """Set `column` on the row whose `name` is name."""
    wb = load_workbook(path)
    ws = wb[sheet]
    headers = [c.value for c in ws[1]]
    name_col = headers.index("name") + 1
    col = headers.index(column) + 1
    for row in range(2, ws.max_row + 1):
        if ws.cell(row=row, column=name_col).value == name:
            ws.cell(row=row, column=col).value = value
            wb.save(path)
            return
    raise AssertionError(f"no row {name} in {path.name}:{sheet}")


def add_question(path: Path, name: str) -> None:
    """Append a harmless optional text question (both languages) at the end of the survey."""
    wb = load_workbook(path)
    ws = wb["survey"]
    headers = [c.value for c in ws[1]]
    row = [None] * len(headers)
    row[headers.index("type")] = "text"
    row[headers.index("name")] = name
    for col in headers:
        if col and col.startswith("label::"):
            row[headers.index(col)] = f"Catatan {name}"
    ws.append(row)
    wb.save(path)


def rename_contract_field(forms_dir: Path, form_id: str, old: str, new: str) -> None:
    """Rename a question in the XLSForm and in the contract, so lint still passes."""
    set_cell(forms_dir / f"{form_id}.xlsx", "survey", old, "name", new)
    contract = forms_dir / "contract.toml"
    text = contract.read_text(encoding="utf-8")
    section = text.index(f"[forms.{form_id}.fields]")
    head, tail = text[:section], text[section:]
    assert f"\n{old} = " in tail
    contract.write_text(head + tail.replace(f"\n{old} = ", f"\n{new} = ", 1), encoding="utf-8")
