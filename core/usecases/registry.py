"""Register a district's IMPs from the list it keeps (`pantau imps import`, `imps list`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from sqlalchemy.orm import Session

from core.domain.access import Scope
from core.domain.registry import RegistryError, check_header, validate
from core.domain.wilayah import with_ancestors
from core.store import registry
from core.store.wilayah import upsert_statement, write_regions

__all__ = ["ImportReport", "RegistryError", "import_imps", "read_table"]


@dataclass
class ImportReport:
    """What an import changed, by IMP code."""

    rows: int = 0
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether the registry (and so the `imp.csv` form media) changed."""
        return bool(self.created or self.updated or self.deactivated)

    def to_dict(self) -> dict[str, Any]:
        """JSON shape of the report."""
        return {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": len(self.unchanged),
            "deactivated": self.deactivated,
        }


def _cell(value: Any) -> str:
    # Excel keeps 3277011001 or an RW of 3 as numbers; 3.0 is how a formula may leave it.
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value).strip()


def _read_csv(data: bytes) -> list[list[str]]:
    try:
        text = data.decode("utf-8-sig")  # Excel writes a BOM
    except UnicodeDecodeError as exc:
        raise RegistryError(
            [f"the file is not UTF-8 text (byte {exc.start}): save it as CSV UTF-8"]
        ) from None
    first = text.splitlines()[0] if text else ""
    # Excel in an Indonesian locale separates CSV fields with ';'.
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return [[c.strip() for c in r] for r in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _read_xlsx(path: Path) -> list[list[str]]:
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise RegistryError(
            [f"{path.name} is not an .xlsx workbook ({exc.__class__.__name__})"]
        ) from None
    try:
        sheet = book.worksheets[0]
        return [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def read_table(
    path: Path, header_problems: Callable[[list[str]], list[str]] = check_header
) -> list[tuple[int, dict[str, str]]]:
    """(row number, cells by column) of a CSV or XLSX list; blank rows skipped."""
    rows = (
        _read_xlsx(path)
        if path.suffix.lower() in (".xlsx", ".xlsm")
        else _read_csv(path.read_bytes())
    )
    if not rows:
        raise RegistryError([f"{path.name} is empty; expected a header row"])
    header = [h.lower() for h in rows[0]]
    problems = header_problems(header)
    if problems:
        raise RegistryError(problems)
    out = []
    for number, cells in enumerate(rows[1:], start=2):
        if not any(cells):
            continue
        out.append(
            (number, {h: cells[i] if i < len(cells) else "" for i, h in enumerate(header) if h})
        )
    return out


def import_imps(
    session: Session, path: Path, *, deactivate_missing: bool = False, within: Scope | None = None
) -> ImportReport:
    """Validate a whole IMP list, then upsert it; RegistryError lists every bad row.

    Nothing is written unless every row is good. `within` (an admin's scope on the web) refuses
    rows outside it and deactivates only IMPs inside it. Does not commit.
    """
    table = read_table(path)
    registered = registry.known(session)
    rows = validate(table, registered)
    if within is not None:
        outside = [
            f"{r.code}: desa {r.desa} is outside your wilayah"
            for r in rows
            if not within.allows(r.desa)
        ]
        # A code already registered outside the scope is another district's IMP: updating
        # it would move it (and its tier history) into this admin's wilayah.
        outside += [
            f"{r.code}: already registered in desa {registered[r.code].desa}, outside your wilayah"
            for r in rows
            if r.code in registered
            and within.allows(r.desa)
            and not within.allows(registered[r.code].desa)
        ]
        if outside:
            raise RegistryError(outside)
    _ensure_wilayah(session, {row.desa for row in rows})
    outcome = registry.upsert(session, rows)
    report = ImportReport(rows=len(rows), **outcome)
    if deactivate_missing:
        # A parent the file names stays active, listed or not: an active Kelompok KB under a
        # deactivated Sub-PPKBD would roll its activity up to nothing.
        keep = {r.code for r in rows} | registry.ancestors(session, [r.code for r in rows])
        report.deactivated = registry.deactivate_except(
            session, keep, inside=within.allows if within is not None else None
        )
    return report


def _ensure_wilayah(session: Session, desa_codes: set[str]) -> None:
    # The registry needs its desa (and their kecamatan, kota, provinsi) in the wilayah table;
    # an admin importing IMPs should not have to run `wilayah load` first.
    rows = {r["code"]: r for code in desa_codes for r in with_ancestors(code)}
    if rows:
        write_regions(
            session, upsert_statement(session.get_bind().dialect.name), list(rows.values())
        )
