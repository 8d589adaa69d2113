"""Errors of the store: the database is away or busy, or not the schema this code needs."""

from __future__ import annotations

from core.domain.errors import PantauError


class DatabaseUnavailable(PantauError):
    """The database is down, locked or out of connections; the unit of work was rolled back."""

    retryable = True


class DatabaseNotReady(PantauError):
    """No database at the configured URL, or one never migrated or behind this code's schema.

    The usual cause is a mistyped `PANTAU_DATABASE_URL`: only `pantau db upgrade` (and the
    demo) create and migrate a database, so a typo never yields a second, empty one.
    """

    bad_input = True


class MigrationError(PantauError):
    """A migration that cannot run: an unknown `--revision`, or one that would drop rows."""

    bad_input = True
