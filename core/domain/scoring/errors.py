"""Errors raised by the scoring package."""

from core.domain.errors import PantauError


class ScoringError(PantauError):
    """Base class for every scoring error."""


class RulesError(ScoringError):
    """A rules file is missing, unreadable or has a bad key or value."""

    bad_input = True


class PeriodError(ScoringError, ValueError):
    """A period string or period kind is not understood."""

    bad_input = True


class IdentityError(ScoringError, ValueError):
    """A family number (no_kk) is not a valid 16-digit number."""
