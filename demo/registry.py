"""The demo IMP registry for Kota Cimahi: one PPKBD per kelurahan, a few Sub-PPKBD/Kelompok KB.

`pantau demo` seeds it before any submission arrives, so that every IMP a sample names exists.
The codes are the ones the forms' IMP choice list carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.domain.errors import PantauError
from core.store.models import Institution, Wilayah
from demo import DEMO_PREFIX

# Sub-PPKBD (per RW) and their Kelompok KB (per RT) under a few PPKBD.
SUB_UNITS: dict[str, dict[str, tuple[str, ...]]] = {
    "32.77.01.1001": {"004": ("001", "002"), "007": ("003",)},  # Melong
    "32.77.01.1002": {"002": ("001", "004")},  # Cibeureum
    "32.77.02.1001": {"003": ("002",)},  # Baros
    "32.77.03.1002": {"011": ("001", "005")},  # Cibabat
}


class DemoDataError(PantauError):
    """The demo data cannot be seeded (e.g. the wilayah are not loaded)."""


def ppkbd_code(desa: str) -> str:
    """Code of the PPKBD (desa/kelurahan IMP) of a desa: `PPKBD-32.77.01.1001`."""
    return f"PPKBD-{desa}"


def sub_ppkbd_code(desa: str, rw: str) -> str:
    """Code of the Sub-PPKBD of one RW: `SUBPPKBD-32.77.01.1001-RW004`."""
    return f"SUBPPKBD-{desa}-RW{rw}"


def kelompok_kb_code(desa: str, rw: str, rt: str) -> str:
    """Code of the Kelompok KB of one RT: `KKB-32.77.01.1001-RW004-RT001`."""
    return f"KKB-{desa}-RW{rw}-RT{rt}"


@dataclass(frozen=True)
class SeedResult:
    """How many IMPs the seed created and how many were already there, by kind."""

    created: dict[str, int]
    existing: dict[str, int]

    @property
    def total(self) -> int:
        """IMPs of the demo registry now in the database."""
        return sum(self.created.values()) + sum(self.existing.values())


def seed_registry(session: Session, prefix: str = DEMO_PREFIX) -> SeedResult:
    """Add one PPKBD per kelurahan under prefix and a few Sub-PPKBD/Kelompok KB; idempotent.

    IMPs that already exist (by code) are left as they are. Never commits.
    """
    desa = session.execute(
        select(Wilayah.code, Wilayah.name)
        .where(Wilayah.level == 4, Wilayah.code.startswith(prefix.rstrip(".") + "."))
        .order_by(Wilayah.code)
    ).all()
    if not desa:
        raise DemoDataError(f"no desa/kelurahan under {prefix} loaded: load the wilayah first")
    have = {i.code: i for i in session.scalars(select(Institution))}
    created = {"ppkbd": 0, "sub_ppkbd": 0, "kelompok_kb": 0}
    existing = dict.fromkeys(created, 0)

    def ensure(code: str, **values: Any) -> Institution:
        found = have.get(code)
        if found is not None:
            existing[values["kind"]] += 1
            return found
        row = Institution(code=code, active=True, **values)
        session.add(row)
        session.flush()
        have[code] = row
        created[values["kind"]] += 1
        return row

    for code, name in desa:
        parent = ensure(ppkbd_code(code), name=name, kind="ppkbd", desa_code=code)
        for rw, rts in SUB_UNITS.get(code, {}).items():
            sub = ensure(
                sub_ppkbd_code(code, rw),
                name=name,
                kind="sub_ppkbd",
                desa_code=code,
                parent_id=parent.id,
                rw=rw,
            )
            for rt in rts:
                ensure(
                    kelompok_kb_code(code, rw, rt),
                    name=name,
                    kind="kelompok_kb",
                    desa_code=code,
                    parent_id=sub.id,
                    rw=rw,
                    rt=rt,
                )
    return SeedResult(created, existing)
