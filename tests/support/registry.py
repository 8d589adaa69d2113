"""Builders for the wilayah and IMP registry rows the forms' CSV media are generated from."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.store.models import Institution, Wilayah

KECAMATAN = "32.77.01"
DESA = "32.77.01.1001"  # Kelurahan Melong, Kecamatan Cimahi Selatan, Kota Cimahi
DESA_2 = "32.77.01.1002"
IMP = "PPKBD-32.77.01.1001"
SUB_IMP = "SUBPPKBD-32.77.01.1001-004"


def seed_registry(session: Session) -> None:
    """Kota Cimahi with two kecamatan, three kelurahan and three IMPs (one inactive)."""
    session.add_all(
        [
            Wilayah(code="32", name="Jawa Barat", level=1, kind="provinsi", parent_code=None),
            Wilayah(code="32.77", name="Kota Cimahi", level=2, kind="kota", parent_code="32"),
            Wilayah(
                code=KECAMATAN,
                name="Cimahi Selatan",
                level=3,
                kind="kecamatan",
                parent_code="32.77",
            ),
            Wilayah(
                code="32.77.02",
                name="Cimahi Tengah",
                level=3,
                kind="kecamatan",
                parent_code="32.77",
            ),
            Wilayah(code=DESA, name="Melong", level=4, kind="kelurahan", parent_code=KECAMATAN),
            Wilayah(
                code=DESA_2, name="Cibeureum", level=4, kind="kelurahan", parent_code=KECAMATAN
            ),
            Wilayah(
                code="32.77.02.1001",
                name="Setiamanah",
                level=4,
                kind="kelurahan",
                parent_code="32.77.02",
            ),
        ]
    )
    session.flush()
    ppkbd = Institution(code=IMP, name="Melong Sejahtera", kind="ppkbd", desa_code=DESA)
    session.add(ppkbd)
    session.flush()
    session.add_all(
        [
            Institution(
                code=SUB_IMP,
                name="Mawar",
                kind="sub_ppkbd",
                desa_code=DESA,
                parent_id=ppkbd.id,
                rw="004",
            ),
            Institution(
                code="PPKBD-32.77.01.1002-LAMA",
                name="Lama",
                kind="ppkbd",
                desa_code=DESA_2,
                active=False,
            ),
        ]
    )
    session.flush()
