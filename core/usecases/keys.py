"""Rotate the pseudonym key: re-key every stored pseudonym in one transaction.

A family key is the hash of the KK under the first key, hashed again under each later key
(`core.domain.privacy.Keyring`). Rotating hashes every stored pseudonym once more under the new
key, so stored and future family keys stay equal and no history splits; the numbers are never
needed. Processes still on the old keys are refused by intake's key check until restarted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial

from sqlalchemy.orm import Session

from core.domain.privacy import Keyring, rekey_all
from core.store.keys import PSEUDONYM_COLUMNS, check_key, lock_for_rotation, rewrite_column, set_key


@dataclass
class Rotation:
    """What a rotation re-keyed: rows changed per table.column."""

    changed: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Rows changed in all."""
        return sum(self.changed.values())


def rotate(session: Session, current: Keyring, new_key: bytes) -> tuple[Keyring, Rotation]:
    """Re-key every stored pseudonym under new_key; return the keyring in force afterwards.

    current must be the keys that made the stored pseudonyms (checked against the stored check
    value). Does not commit: the whole rotation is the caller's one transaction.
    """
    lock_for_rotation(session)
    check_key(session, current.fingerprint)
    rotated = Keyring((*current.keys, new_key))
    report = Rotation()
    for column in PSEUDONYM_COLUMNS:
        name = f"{column.table.name}.{column.name}"
        report.changed[name] = rewrite_column(session, column, partial(rekey_all, key=new_key))
    set_key(session, rotated.fingerprint)
    return rotated, report


def check(session: Session, keyring: Keyring) -> None:
    """Raise PseudonymKeyMismatch unless keyring made the stored pseudonyms."""
    check_key(session, keyring.fingerprint)
