"""Errors of the store: the database is away or busy (a retry later can succeed)."""

from __future__ import annotations

from core.domain.errors import PantauError


class DatabaseUnavailable(PantauError):
    """The database is down, locked or out of connections; the unit of work was rolled back."""

    retryable = True
