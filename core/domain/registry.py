"""The IMP registry as a district keeps it: rows of `code,name,kind,desa,rw,rt,parent`.

Pure checks of an imported list: every row is validated on its own (kind, Kemendagri desa code,
RW/RT) and against the others (unique codes, a parent of the right kind in the same desa), so
an admin gets every problem of a file at once, each with its row number, before anything is
written.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from core.domain.tables import TableError, check_rows, header_problems
from core.domain.wilayah import UnknownWilayah, parse_code

COLUMNS = ("code", "name", "kind", "desa", "rw", "rt", "parent")
REQUIRED_COLUMNS = ("code", "name", "kind", "desa")
KINDS = {"ppkbd": "PPKBD", "sub_ppkbd": "Sub-PPKBD", "kelompok_kb": "Kelompok KB"}
# Which kind of IMP may be the parent of which (the IMP's hierarchy of the guideline).
PARENT_KINDS = {"ppkbd": (), "sub_ppkbd": ("ppkbd",), "kelompok_kb": ("sub_ppkbd", "ppkbd")}
MAX_CODE = 40
MAX_NAME = 200


RegistryError = TableError  # the name importers and the CLI know


@dataclass(frozen=True)
class ImpRow:
    """One IMP of an imported list, validated."""

    code: str
    name: str
    kind: str
    desa: str
    rw: str | None
    rt: str | None
    parent: str | None

    def label(self) -> str:
        """How a kader sees it in ODK Collect: kind, name and RW/RT where it has them."""
        return imp_label(self.kind, self.name, self.rw, self.rt)


@dataclass(frozen=True)
class Known:
    """An IMP already registered (the parent a row may name)."""

    kind: str
    desa: str


def imp_label(kind: str, name: str, rw: str | None, rt: str | None) -> str:
    """`Sub-PPKBD Mawar (RW 003)`: kind, name and where."""
    where = " ".join(p for p in (f"RW {rw}" if rw else "", f"RT {rt}" if rt else "") if p)
    return f"{KINDS.get(kind, kind)} {name}" + (f" ({where})" if where else "")


def check_header(header: Iterable[str]) -> list[str]:
    """Problems with a file's header row (missing or unknown columns)."""
    return header_problems(header, REQUIRED_COLUMNS, COLUMNS, COLUMNS)


def _number(value: str, what: str) -> str:
    # RW/RT are written "3", "03" or "003" in district lists: keep the three-digit form
    # ODK Collect users see on the ground.
    if not value.isascii() or not value.isdigit() or len(value) > 3 or int(value) == 0:
        raise ValueError(f"{what} {value!r} is not a number from 1 to 999")
    return f"{int(value):03d}"


def parse_row(cells: Mapping[str, str]) -> ImpRow:
    """One row of an IMP list, checked on its own; ValueError says what is wrong."""
    get = {k: (cells.get(k) or "").strip() for k in COLUMNS}
    code, name, kind = get["code"], get["name"], get["kind"].lower()
    if not code:
        raise ValueError("code is empty")
    if len(code) > MAX_CODE or any(c.isspace() for c in code):
        raise ValueError(f"code {code!r} must be at most {MAX_CODE} characters without spaces")
    if not name:
        raise ValueError("name is empty")
    if len(name) > MAX_NAME:
        raise ValueError(f"name is longer than {MAX_NAME} characters")
    if kind not in KINDS:
        raise ValueError(f"kind {get['kind']!r} is not one of {', '.join(KINDS)}")
    try:
        desa = parse_code(get["desa"], level=4)
    except UnknownWilayah as exc:
        raise ValueError(f"desa: {exc}") from None
    rw = _number(get["rw"], "rw") if get["rw"] else None
    rt = _number(get["rt"], "rt") if get["rt"] else None
    if kind == "ppkbd" and (rw or rt or get["parent"]):
        raise ValueError("a ppkbd covers the whole desa: leave rw, rt and parent empty")
    if kind == "sub_ppkbd" and (not rw or rt):
        raise ValueError("a sub_ppkbd needs its rw and no rt")
    if kind == "kelompok_kb" and (not rw or not rt):
        raise ValueError("a kelompok_kb needs its rw and rt")
    if kind != "ppkbd" and not get["parent"]:
        raise ValueError(f"a {kind} needs the code of its parent IMP")
    return ImpRow(code, name, kind, desa, rw, rt, get["parent"] or None)


def validate(
    rows: list[tuple[int, Mapping[str, str]]], registered: Mapping[str, Known]
) -> list[ImpRow]:
    """Check every (row number, cells) of a file; return the rows or raise RegistryError.

    `registered` holds the IMPs already in the database, so a row may name a parent imported
    earlier. Every bad row is reported, not only the first.
    """
    parsed, problems = check_rows(rows, parse_row, lambda row: row.code, "code")
    in_file = {row.code: Known(row.kind, row.desa) for _, row in parsed}
    for number, row in parsed:
        problem = _parent_problem(
            row, in_file.get(row.parent or "") or registered.get(row.parent or "")
        )
        if problem:
            problems.append(f"row {number}: {problem}")
    if problems:
        raise RegistryError(problems)
    return [row for _, row in parsed]


def _parent_problem(row: ImpRow, parent: Known | None) -> str | None:
    if row.parent is None:
        return None
    if row.parent == row.code:
        return "an IMP cannot be its own parent"
    if parent is None:
        return f"parent {row.parent!r} is neither in the file nor registered"
    if parent.kind not in PARENT_KINDS[row.kind]:
        allowed = " or ".join(PARENT_KINDS[row.kind])
        return f"parent {row.parent!r} is a {parent.kind}; a {row.kind}'s parent is a {allowed}"
    if parent.desa != row.desa:
        return f"parent {row.parent!r} is in desa {parent.desa}, not {row.desa}"
    return None
