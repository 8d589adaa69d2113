"""Kobo's own data exports (XLS, which is .xlsx, and CSV) read back as submission dicts.

An admin who downloaded a form's data from Kobo's Downloads page can replay it through the
same intake as the webhook. The export must have "XML values and headers" (question names,
not labels) and the group separator `/`, so that each column is the submission dict's path
(`identitas/desa`). In an .xlsx, each repeat group is a sheet of its own whose rows point at
their parent row (`_parent_table_name`, `_parent_index`); they come back as lists of dicts, as
the data API nests them. A CSV has no repeat groups.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from core.domain.errors import PantauError

FORMATS = (".csv", ".xlsx")
# System columns of an export that the submission dict keeps, as the data API has them.
KEPT = ("_id", "_uuid", "_submission_time", "_submitted_by", "_status", "__version__")
# Columns that only tie the export's sheets together.
LINKS = ("_index", "_parent_index", "_parent_table_name")


class ExportError(PantauError):
    """A file that is not a Kobo data export we can read; the message says what to change."""

    bad_input = True


Table = tuple[list[str], list[dict[str, Any]]]


def read_export(path: Path, asset_uid: str) -> list[dict[str, Any]]:
    """The submissions in a Kobo export, each marked as coming from asset_uid."""
    path = Path(path)
    if path.suffix.lower() == ".csv":
        sheets = {"data": _csv_table(path)}
    elif path.suffix.lower() == ".xlsx":
        sheets = _xlsx_tables(path)
    else:
        raise ExportError(f"{path.name}: not a Kobo export (.csv or .xlsx)")
    if not sheets:
        raise ExportError(f"{path.name}: the workbook has no sheet")
    main, *repeats = sheets.items()
    header, rows = main[1]
    _check_header(path.name, header)
    records = [_answers(header, row) for row in rows]
    for record in records:
        record["_xform_id_string"] = asset_uid
    by_sheet = {main[0]: {row.get("_index"): rec for row, rec in zip(rows, records, strict=True)}}
    for name, (r_header, r_rows) in repeats:
        _attach(name, r_header, r_rows, by_sheet)
    return records


def _check_header(name: str, header: list[str]) -> None:
    labels = [h for h in header if any(c.isspace() for c in h)]
    if labels:
        raise ExportError(
            f"{name}: the columns are labels ({labels[0]!r}); export from Kobo again with "
            "'XML values and headers' and the group separator '/'"
        )
    if "_uuid" not in header and "meta/instanceID" not in header:
        raise ExportError(f"{name}: no _uuid column, so no record can be identified")


def _csv_table(path: Path) -> Table:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ExportError(f"{path.name}: not UTF-8 (byte {exc.start})") from exc
    first = text.split("\n", 1)[0]
    # Kobo writes `;` by default; a CSV saved again by Excel may use `,`.
    delimiter = ";" if first.count(";") >= first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip() for h in next(reader, [])]
    rows = [
        {h: v for h, v in zip(header, values, strict=False) if h and v.strip()}
        for values in reader
        if any(v.strip() for v in values)
    ]
    return header, rows


def _xlsx_tables(path: Path) -> dict[str, Table]:
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        raise ExportError(f"{path.name}: not a readable .xlsx file ({exc})") from exc
    tables: dict[str, Table] = {}
    try:
        for sheet in book.worksheets:
            it = sheet.iter_rows(values_only=True)
            header = [str(h).strip() if h is not None else "" for h in next(it, None) or ()]
            rows = []
            for values in it:
                row = {
                    h: _text(v)
                    for h, v in zip(header, values, strict=False)
                    if h and v is not None and _text(v) != ""
                }
                if row:
                    rows.append(row)
            tables[sheet.title] = (header, rows)
    finally:
        book.close()
    return tables


def _text(value: Any) -> str:
    # Every answer of a submission dict is a string; an .xlsx export may hold typed cells.
    if isinstance(value, datetime):
        if value.time() == time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _answers(header: list[str], row: dict[str, Any]) -> dict[str, Any]:
    """A row as the data API's dict: question paths and the kept system fields."""
    columns = set(header)
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key.startswith("_") and key not in KEPT:
            continue  # sheet links and export-only fields (_validation_status as a label, …)
        if "/" in key and key.rsplit("/", 1)[0] in columns:
            continue  # a select_multiple's 0/1 column per choice, beside the answer itself
        out[key] = value
    if isinstance(out.get("_id"), str) and out["_id"].isdigit():
        out["_id"] = int(out["_id"])
    return out


def _attach(
    name: str,
    header: list[str],
    rows: list[dict[str, Any]],
    by_sheet: dict[str, dict[Any, dict[str, Any]]],
) -> None:
    """Nest a repeat sheet's rows under their parent rows, as lists named by the repeat."""
    key = _repeat_path(name, header)
    mine: dict[Any, dict[str, Any]] = {}
    for row in rows:
        answers = {k: v for k, v in _answers(header, row).items() if not k.startswith("_")}
        table = str(row.get("_parent_table_name"))
        # Sheet titles are cut at Excel's 31 characters; the link keeps the full name.
        rows_of_parent = by_sheet.get(table) or by_sheet.get(table[:31]) or {}
        parent = rows_of_parent.get(row.get("_parent_index"))
        if parent is None or not answers:
            continue  # an orphan row (the parent sheet was left out) or a blank one
        parent.setdefault(key, []).append(answers)
        mine[row.get("_index")] = answers
    by_sheet[name] = mine


def _repeat_path(name: str, header: list[str]) -> str:
    """The repeat group's path: what its questions' paths share (`anak` for `anak/jk`)."""
    paths = [h.split("/") for h in header if h and not h.startswith("_") and "/" in h]
    if not paths:
        return name
    common = paths[0][:-1]
    for parts in paths[1:]:
        n = 0
        while n < min(len(common), len(parts) - 1) and common[n] == parts[n]:
            n += 1
        common = common[:n]
    return "/".join(common) or name
