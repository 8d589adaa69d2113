"""The IMP registry table (`institutions`): upserts, deactivation, listings."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session, aliased

from core.domain.registry import ImpRow, Known
from core.store.models import Institution, Wilayah
from core.store.scores import in_wilayah


@dataclass(frozen=True)
class Registered:
    """One registered IMP as listings show it."""

    code: str
    name: str
    kind: str
    desa: str
    desa_name: str | None
    rw: str | None
    rt: str | None
    parent: str | None
    active: bool


def known(session: Session) -> dict[str, Known]:
    """Every registered IMP's kind and desa, by code (what a new row's parent may be)."""
    rows = session.execute(select(Institution.code, Institution.kind, Institution.desa_code))
    return {r.code: Known(r.kind, r.desa_code) for r in rows}


def upsert(session: Session, rows: list[ImpRow]) -> dict[str, list[str]]:
    """Create or update IMPs by code, reactivating them; codes by created/updated/unchanged."""
    existing = {i.code: i for i in session.scalars(select(Institution))}
    outcome: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": []}
    for row in rows:
        imp = existing.get(row.code)
        values = {
            "name": row.name,
            "kind": row.kind,
            "desa_code": row.desa,
            "rw": row.rw,
            "rt": row.rt,
            "active": True,
        }
        if imp is None:
            imp = Institution(code=row.code, **values)
            session.add(imp)
            existing[row.code] = imp
            outcome["created"].append(row.code)
        elif any(getattr(imp, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(imp, k, v)
            outcome["updated"].append(row.code)
        else:
            outcome["unchanged"].append(row.code)
    session.flush()
    # Parents second: a row may name a parent that appears later in the same file.
    for row in rows:
        imp = existing[row.code]
        parent_id = existing[row.parent].id if row.parent else None
        if imp.parent_id != parent_id:
            imp.parent_id = parent_id
            if row.code in outcome["unchanged"]:
                outcome["unchanged"].remove(row.code)
                outcome["updated"].append(row.code)
    session.flush()
    return outcome


def ancestors(session: Session, codes: list[str]) -> set[str]:
    """Codes of every IMP above these ones."""
    rows = session.execute(select(Institution.id, Institution.code, Institution.parent_id)).all()
    code_of = {r.id: r.code for r in rows}
    parent_of = {r.code: code_of.get(r.parent_id) for r in rows}
    found: set[str] = set()
    for code in codes:
        up = parent_of.get(code)
        while up and up not in found:
            found.add(up)
            up = parent_of.get(up)
    return found


def deactivate_except(
    session: Session, codes: Iterable[str], inside: Callable[[str], bool] | None = None
) -> list[str]:
    """Deactivate every active IMP (whose desa is `inside`) not in codes; return their codes."""
    keep = set(codes)
    rows = session.execute(
        select(Institution.code, Institution.desa_code).where(Institution.active.is_(True))
    )
    gone = [code for code, desa in rows if code not in keep and (inside is None or inside(desa))]
    if gone:
        session.execute(update(Institution).where(Institution.code.in_(gone)).values(active=False))
    return sorted(gone)


def listing(
    session: Session, wilayah: str | None = None, *, active_only: bool = False
) -> list[Registered]:
    """Registered IMPs (optionally in one wilayah), by desa then code."""
    parent = aliased(Institution)
    stmt = (
        select(Institution, parent.code.label("parent_code"), Wilayah.name.label("desa_name"))
        .outerjoin(parent, parent.id == Institution.parent_id)
        .outerjoin(Wilayah, Wilayah.code == Institution.desa_code)
        .order_by(Institution.desa_code, Institution.code)
    )
    if wilayah:
        stmt = stmt.where(in_wilayah(Institution.desa_code, wilayah))
    if active_only:
        stmt = stmt.where(Institution.active.is_(True))
    return [
        Registered(
            code=i.code,
            name=i.name,
            kind=i.kind,
            desa=i.desa_code,
            desa_name=desa_name,
            rw=i.rw,
            rt=i.rt,
            parent=parent_code,
            active=i.active,
        )
        for i, parent_code, desa_name in session.execute(stmt)
    ]


def names_and_kinds(session: Session, codes: Iterable[str]) -> dict[str, tuple[str, str]]:
    """(name, kind) of each registered IMP among codes."""
    wanted = sorted(set(codes))
    if not wanted:
        return {}
    rows = session.execute(
        select(Institution.code, Institution.name, Institution.kind).where(
            Institution.code.in_(wanted)
        )
    )
    return {r.code: (r.name, r.kind) for r in rows}


def active_codes(session: Session, wilayah: str | None = None) -> list[str]:
    """Codes of every active IMP (optionally in one wilayah)."""
    stmt = select(Institution.code).where(Institution.active.is_(True))
    if wilayah:
        stmt = stmt.where(in_wilayah(Institution.desa_code, wilayah))
    return sorted(session.scalars(stmt))
