"""Exports of tiers per IMP and of KRS families, as CSV or XLSX, within the user's scope.

Families appear by their pseudonymous key only: Pantau holds no KK number, NIK or name, so no
role can export an identity.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook
from sqlalchemy.orm import Session

from core.domain.access import Scope
from core.domain.scoring import period_bounds
from core.domain.scoring.imp.results import ROLES
from core.store import browse
from core.usecases.browse.places import Names

EXPORTS = ("tiers", "families")
FORMATS = ("csv", "xlsx")
TIER_COLUMNS = [
    "imp",
    "nama",
    "jenis",
    "desa",
    "nama_desa",
    "kecamatan",
    "rw",
    "rt",
    "periode",
    "tingkat",
    *ROLES,
]


def tier_rows(
    session: Session, scope: Scope, period: str | None = None
) -> tuple[list[str], list[list[Any]]]:
    """One row per active IMP inside scope: its latest period's (or `period`'s) tier and roles."""
    rows: list[list[Any]] = []
    after = None
    names = Names(session)
    while True:
        imps = browse.imps_page(session, scope=scope, after=after, limit=500)
        if not imps:
            break
        tiers = browse.tiers_of(session, [i.code for i in imps])
        names.load(i.desa_code for i in imps)
        for imp in imps:
            held = [a for a in tiers[imp.code] if period is None or a.period == period]
            latest = held[-1] if held else None
            place = names.place(imp.desa_code)
            rows.append(
                [
                    imp.code,
                    imp.name,
                    imp.kind,
                    imp.desa_code,
                    place["desa_name"],
                    place["kecamatan_name"],
                    imp.rw or "",
                    imp.rt or "",
                    latest.period if latest else "",
                    latest.tier if latest else "",
                    *[(latest.roles.get(r) if latest else "") for r in ROLES],
                ]
            )
        after = imps[-1].code
    return TIER_COLUMNS, rows


def family_rows(
    session: Session, scope: Scope, period: str | None = None
) -> tuple[list[str], list[list[Any]]]:
    """One row per KRS family inside scope: key, place, latest survey, each factor 0/1.

    With `period`, only families whose latest survey falls in it.
    """
    found = browse.krs_families(session, scope=scope)
    if period is not None:
        first, last = period_bounds(period)
        found = [(f, s) for f, s in found if s.surveyed_on and first <= s.surveyed_on <= last]
    factors = sorted({k for _, s in found for k in (s.factors or {})})
    names = Names(session, [f.desa_code for f, _ in found])
    header = ["keluarga", "desa", "nama_desa", "kecamatan", "rw", "rt", "tanggal_survei"]
    header += [*factors, "anak_pendek"]
    rows = []
    for family, survey in sorted(found, key=lambda fs: (fs[0].desa_code, fs[0].family_key)):
        place = names.place(family.desa_code)
        children = (survey.details or {}).get("children", [])
        rows.append(
            [
                family.family_key,
                family.desa_code,
                place["desa_name"],
                place["kecamatan_name"],
                family.rw or "",
                family.rt or "",
                survey.surveyed_on.isoformat() if survey.surveyed_on else "",
                *[int(bool((survey.factors or {}).get(f))) for f in factors],
                sum(c.get("category") in ("pendek", "sangat_pendek") for c in children),
            ]
        )
    return header, rows


def _cell(value: Any) -> Any:
    # A text starting with = + - @ would run as a formula when Excel opens the file.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def render(header: list[str], rows: list[list[Any]], fmt: str, sheet: str) -> bytes:
    """The rows as CSV (UTF-8 with BOM, `;` as Excel in an Indonesian locale expects) or XLSX."""
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows([[_cell(v) for v in r] for r in rows])
        return ("\ufeff" + out.getvalue()).encode("utf-8")
    book = Workbook()
    ws = book.active
    ws.title = sheet[:31]
    ws.append(header)
    for r in rows:
        ws.append([_cell(v) for v in r])
    ws.freeze_panes = "A2"
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def export(session: Session, scope: Scope, name: str, fmt: str, period: str | None = None) -> bytes:
    """The bytes of export `name` (tiers or families) in `fmt` (csv or xlsx)."""
    header, rows = (tier_rows if name == "tiers" else family_rows)(session, scope, period)
    return render(header, rows, fmt, "tingkat_imp" if name == "tiers" else "keluarga_krs")
