"""What every demo sample shares: the submission type, the crafted desa, the form header."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

DEMO_NAMESPACE = uuid.UUID("6b1f3c2e-6f0e-4a51-9d7b-2f5a8c0d3e11")

# The three PPKBD whose month of submissions is crafted to reach a given tier.
MANDIRI = "32.77.01.1001"  # Melong
BERKEMBANG = "32.77.01.1002"  # Cibeureum
DASAR = "32.77.02.1001"  # Baros
CRAFTED_TIERS = {MANDIRI: "mandiri", BERKEMBANG: "berkembang", DASAR: "dasar"}
# Families are surveyed in two kelurahan.
FAMILY_DESA = (MANDIRI, DASAR)


@dataclass(frozen=True)
class SampleSubmission:
    """Flat answers of one submission (group paths as in the built form), with a stable key."""

    form_id: str
    key: str
    answers: dict[str, Any]

    def instance_id(self, month: str) -> str:
        """A stable `uuid:` instance id: the same sample of the same month is never stored twice."""
        return f"uuid:{uuid.uuid5(DEMO_NAMESPACE, f'pantau-demo/{month}/{self.key}')}"


def day_of_month(today: date, n: int) -> date:
    """Day n of today's month, but never after today (forms refuse dates in the future)."""
    return today.replace(day=min(n, today.day))


def stamp(day: date, hour: int) -> str:
    """A form's start/end timestamp at hour o'clock WIB on day."""
    return f"{day.isoformat()}T{hour:02d}:00:00.000+07:00"


def header(desa: str, day: date, imp: str | None = None) -> dict[str, Any]:
    """Answers every form starts with: start/end, today, the wilayah and (IMP forms) the IMP."""
    answers: dict[str, Any] = {
        "start": stamp(day, 9),
        "end": stamp(day, 10),
        "today": day.isoformat(),
        "wilayah/kecamatan": desa.rsplit(".", 1)[0],
        "wilayah/desa": desa,
    }
    if imp is not None:
        answers["wilayah/imp"] = imp
    return answers
