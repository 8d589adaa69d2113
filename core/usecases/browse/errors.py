"""Errors of the web's reads: nothing to see there, or a query that cannot be answered."""

from __future__ import annotations

from core.domain.errors import PantauError


class NotVisible(PantauError):
    """No such object inside the user's scope (the web answers 404 either way)."""

    bad_input = True


class BadQuery(PantauError):
    """A filter or cursor that cannot be read; the message names it."""

    bad_input = True
