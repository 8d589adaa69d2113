"""Who hears of a finding: a desa's TPPS at once; kecamatan and kab/kota TPPS in the digest.

An IMP's tier drop goes to the PKB/PLKB (role "pkb") whose wilayah holds the IMP, not to the
TPPS. Wilayah codes are dotted Kemendagri codes, so "inside" is a prefix followed by a dot.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Audience(StrEnum):
    """Who a finding is for."""

    FAMILY = "family"  # the desa's TPPS
    IMP = "imp"  # the PKB/PLKB supervising it


@dataclass(frozen=True)
class RecipientView:
    """What routing reads of a recipient."""

    id: int
    role: str
    wilayah: str
    active: bool = True


def inside(code: str, wilayah: str) -> bool:
    """Whether a region code lies in (or is) a wilayah."""
    return code == wilayah or code.startswith(wilayah + ".")


def immediate_recipients(
    recipients: list[RecipientView], desa: str, audience: Audience
) -> list[RecipientView]:
    """Recipients of an immediate alert about something in `desa`."""
    if audience is Audience.IMP:
        return [r for r in recipients if r.active and r.role == "pkb" and inside(desa, r.wilayah)]
    # A TPPS registered for the desa itself: kecamatan and kab/kota TPPS get the digest.
    return [r for r in recipients if r.active and r.role == "tpps" and r.wilayah == desa]
