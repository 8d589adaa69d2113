"""Form media on a server (the CSV lists a form chooses from): what changed, told in rows.

After `pantau imps import` the IMP list (`imp.csv`) changes while the form does not: a publish
then replaces that file on the server without a new form version, and says so.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass


def md5_hex(content: bytes) -> str:
    """The MD5 both servers report for an uploaded file (Kobo prefixes it with `md5:`)."""
    return hashlib.md5(content, usedforsecurity=False).hexdigest()


def csv_rows(content: bytes | None) -> int | None:
    """Data rows of a CSV (the header row not counted); None when there is no file."""
    if content is None:
        return None
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig", "replace"))))
    return max(len([r for r in rows if r]) - 1, 0)


@dataclass(frozen=True)
class MediaChange:
    """One media file sent to the server, with its rows before (if it was there) and now."""

    name: str
    replaced: bool  # False: the server did not have it
    old_rows: int | None  # None: not there, or not read back
    new_rows: int | None

    def describe(self) -> str:
        """`imp.csv replaced (12 -> 15 rows)` or `imp.csv added (15 rows)`."""
        if not self.replaced:
            return f"{self.name} added ({_rows(self.new_rows)})"
        before = "?" if self.old_rows is None else str(self.old_rows)
        return f"{self.name} replaced ({before} -> {_rows(self.new_rows)})"


def _rows(n: int | None) -> str:
    return "? rows" if n is None else f"{n} row" + ("" if n == 1 else "s")


def change(name: str, old: bytes | None, new: bytes, *, replaced: bool) -> MediaChange:
    """What sending `new` in place of `old` (as read back from the server, if it was) changes."""
    return MediaChange(name, replaced, csv_rows(old), csv_rows(new))
