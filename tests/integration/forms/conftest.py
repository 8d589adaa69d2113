from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from core.domain.forms.contract import load_contract

ROOT = Path(__file__).resolve().parents[3]
FORMS_DIR = ROOT / "xlsforms"
FORM_IDS = [
    "pertemuan_imp",
    "kie_konseling",
    "keluarga_risiko",
    "profil_imp",
    "laporan_bulanan_imp",
]
ID_LABEL = "label::Indonesian (id)"
EN_LABEL = "label::English (en)"


@pytest.fixture(scope="session")
def contract():
    return load_contract()


@pytest.fixture
def forms_copy(tmp_path: Path) -> Path:
    """A private copy of xlsforms/ (forms + contract) that a test may break."""
    target = tmp_path / "xlsforms"
    shutil.copytree(FORMS_DIR, target, ignore=shutil.ignore_patterns("~$*"))
    return target


def edit_cell(path: Path, sheet: str, name: str, column: str, value: str | None) -> int:
    """Set `column` on the row whose `name` is name; return that row's Excel number."""
    wb = load_workbook(path)
    ws = wb[sheet]
    headers = [c.value for c in ws[1]]
    col = headers.index(column) + 1
    name_col = headers.index("name") + 1
    for row in range(2, ws.max_row + 1):
        if ws.cell(row=row, column=name_col).value == name:
            ws.cell(row=row, column=col).value = value
            wb.save(path)
            return row
    raise AssertionError(f"no row named {name} in {path.name}:{sheet}")
