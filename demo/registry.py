"""The demo IMP registry for Kota Cimahi: one PPKBD per kelurahan, a few Sub-PPKBD/Kelompok KB.

It is the shipped `demo/imps.csv`, registered with the same import a district uses
(`pantau imps import`) before any submission arrives, so every IMP a sample names exists. The
codes are the ones the forms' IMP choice list carries.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

DEMO_IMPS = Path(__file__).with_name("imps.csv")

# Sub-PPKBD (per RW) and their Kelompok KB (per RT) under a few PPKBD (as in imps.csv).
SUB_UNITS: dict[str, dict[str, tuple[str, ...]]] = {
    "32.77.01.1001": {"004": ("001", "002"), "007": ("003",)},  # Melong
    "32.77.01.1002": {"002": ("001", "004")},  # Cibeureum
    "32.77.02.1001": {"003": ("002",)},  # Baros
    "32.77.03.1002": {"011": ("001", "005")},  # Cibabat
}


def ppkbd_code(desa: str) -> str:
    """Code of the PPKBD (desa/kelurahan IMP) of a desa: `PPKBD-32.77.01.1001`."""
    return f"PPKBD-{desa}"


def sub_ppkbd_code(desa: str, rw: str) -> str:
    """Code of the Sub-PPKBD of one RW: `SUBPPKBD-32.77.01.1001-RW004`."""
    return f"SUBPPKBD-{desa}-RW{rw}"


def kelompok_kb_code(desa: str, rw: str, rt: str) -> str:
    """Code of the Kelompok KB of one RT: `KKB-32.77.01.1001-RW004-RT001`."""
    return f"KKB-{desa}-RW{rw}-RT{rt}"


def import_demo_registry(session: Session, path: Path = DEMO_IMPS) -> Any:
    """Register the demo's IMPs from a shipped list, as `pantau imps import` does.

    `demo/imps.csv` for the small demo, `demo/district/imps.csv` for the full-size one.
    """
    from core.usecases.registry import import_imps

    return import_imps(session, path)
