"""An XLSForm workbook as plain text, so that two versions of a form can be diffed in review.

The .xlsx files in xlsforms/ are the source of truth (admins edit them in Excel or LibreOffice);
a binary diff says nothing, so `pantau forms dump FORM` prints this text instead. It is
deterministic: sheets in the order survey, choices, settings, then any other in workbook order;
one line per row (no row numbers, so an inserted row shows as one added line); cells separated
by a tab, empty trailing cells and trailing empty rows dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from core.domain.forms.errors import FormError

SHEET_ORDER = ("survey", "choices", "settings")
SEPARATOR = "\t"
# A cell's own tab or line break would split it: written as escapes, like the backslash itself.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def dump_workbook(path: Path) -> str:
    """Return every sheet of an XLSForm as text: `[sheet]`, then its rows, tab-separated."""
    return "\n".join(dump_lines(path)) + "\n"


def dump_lines(path: Path) -> Iterator[str]:
    """Yield the dump line by line (see the module docstring for the format)."""
    try:
        # Formulas as written (data_only=False): a reviewer must see a formula, not its cache.
        wb = load_workbook(path, read_only=True, data_only=False)
    except FileNotFoundError:
        raise
    except Exception as exc:  # openpyxl raises many types for a corrupt file
        raise FormError(f"{path.name}: not a readable .xlsx file: {exc}") from exc
    try:
        for n, ws in enumerate(_ordered(wb.worksheets)):
            if n:
                yield ""
            yield f"[{ws.title}]"
            yield from _rows(ws.iter_rows(values_only=True))
    finally:
        wb.close()


def _ordered(sheets: list[Any]) -> list[Any]:
    known = {ws.title: ws for ws in sheets}
    first = [known[name] for name in SHEET_ORDER if name in known]
    return first + [ws for ws in sheets if ws.title not in SHEET_ORDER]


def _rows(rows: Iterator[tuple[Any, ...]]) -> Iterator[str]:
    # An empty row inside a sheet is kept (as an empty line); empty rows at the end are not,
    # because Excel often reports formatted but empty rows past the data.
    pending_empty = 0
    for values in rows:
        cells = [cell_text(v) for v in values]
        while cells and cells[-1] == "":
            cells.pop()
        if not cells:
            pending_empty += 1
            continue
        yield from [""] * pending_empty
        pending_empty = 0
        yield SEPARATOR.join(cells)


def cell_text(value: Any) -> str:
    """Return one cell as text: numbers without a spurious `.0`, dates in ISO, escapes for tabs."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    return str(value).translate(_ESCAPES)
