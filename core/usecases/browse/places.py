"""The wilayah tree as the web shows it, and the names of places on every row."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from core.domain.access import Scope
from core.domain.wilayah import region_name
from core.store import browse
from core.usecases.browse.errors import BadQuery, NotVisible
from core.usecases.browse.paging import Page, decode_cursor, narrowed, page_of

LEVEL_NAMES = {1: "provinsi", 2: "kabupaten/kota", 3: "kecamatan", 4: "desa/kelurahan"}


class Names:
    """Names of wilayah codes, from the loaded table and else Kemendagri's offline list."""

    def __init__(self, session: Session, codes: Iterable[str] = ()) -> None:
        self._session = session
        self._names: dict[str, str] = {}
        self.load(codes)

    def load(self, codes: Iterable[str]) -> None:
        """Fetch the names of these codes and of their ancestors in one query."""
        wanted = set()
        for code in codes:
            parts = code.split(".")
            wanted.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
        wanted -= set(self._names)
        self._names.update(browse.wilayah_names(self._session, wanted))

    def __call__(self, code: str | None) -> str | None:
        """The name of a code (None for None)."""
        if not code:
            return None
        if code not in self._names:
            self._names[code] = region_name(code) or code
        return self._names[code]

    def place(self, desa: str) -> dict[str, Any]:
        """A desa with its name and its kecamatan's, as rows show them."""
        kecamatan = desa.rsplit(".", 1)[0]
        return {
            "desa": desa,
            "desa_name": self(desa),
            "kecamatan": kecamatan,
            "kecamatan_name": self(kecamatan),
        }


def _node(w: Any) -> dict[str, Any]:
    return {
        "code": w.code,
        "name": w.name,
        "level": w.level,
        "level_name": LEVEL_NAMES.get(w.level, str(w.level)),
        "kind": w.kind,
        "parent": w.parent_code,
    }


def wilayah_list(
    session: Session,
    scope: Scope,
    *,
    cursor: str | None,
    limit: int,
    parent: str | None = None,
    level: Any = None,
) -> Page:
    """Loaded regions inside scope (optionally children of one parent, or of one level)."""
    if level not in (None, ""):
        if str(level) not in ("1", "2", "3", "4"):
            raise BadQuery("level: 1 (provinsi) to 4 (desa/kelurahan)")
        level = int(level)
    else:
        level = None
    rows = browse.wilayah_page(
        session,
        scope=scope,
        after=decode_cursor(cursor, str),
        limit=limit + 1,
        parent=parent or None,
        level=level,
    )
    return page_of(rows, limit, lambda w: w.code, _node)


def wilayah_detail(session: Session, scope: Scope, code: str) -> dict[str, Any]:
    """One region inside scope with its children inside scope."""
    row = browse.wilayah_get(session, code, scope=scope)
    if row is None:
        raise NotVisible(f"no wilayah {code}")
    children = browse.wilayah_page(session, scope=scope, after=None, limit=1000, parent=code)
    return {**_node(row), "children": [_node(c) for c in children]}


def units_of(scope: Scope) -> tuple[int, list[str] | None]:
    """How an overview of scope groups its numbers: (level of the groups, fixed groups).

    One kab/kota: its kecamatan; one kecamatan: its desa; one desa: itself; several desa (a
    supervisor): each desa; everywhere: each kab/kota.
    """
    if scope.prefixes is None:
        return 2, None
    if len(scope.prefixes) == 1:
        level = scope.prefixes[0].count(".") + 1
        return (level + 1, None) if level < 4 else (4, list(scope.prefixes))
    return 4, list(scope.prefixes)


def unit_of(code: str, level: int) -> str:
    """The code of the region of `level` that holds code."""
    return ".".join(code.split(".")[:level])


def scope_filter(scope: Scope, wilayah: str | None) -> Scope:
    """The scope a `?wilayah=` filter leaves (NotVisible outside the user's own)."""
    return narrowed(scope, wilayah)
