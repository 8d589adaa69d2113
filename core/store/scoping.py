"""The one place a user's Scope becomes SQL: every web query filters through `scoped()`."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, or_, true

from core.domain.access import Scope
from core.store.scores import in_wilayah


def scoped(column: Any, scope: Scope) -> ColumnElement[bool]:
    """A filter keeping rows whose wilayah code column lies inside scope."""
    if scope.prefixes is None:
        return true()
    if not scope.prefixes:
        return false()
    return or_(*(in_wilayah(column, p) for p in scope.prefixes))
