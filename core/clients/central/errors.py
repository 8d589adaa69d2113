"""Errors of the ODK Central client: the exception type says whether a retry can help."""

from __future__ import annotations

from core.clients.http import HttpError


class CentralError(HttpError):
    """Base of every error the Central client raises; carries the HTTP answer when there was one."""


class CentralRetryableError(CentralError):
    """The request may succeed later: 429, 502/503/504, a timeout or a refused connection."""

    retryable = True


class CentralPermanentError(CentralError):
    """Retrying the same request will not help (4xx other than 429, 500, 501)."""


class CentralAuthError(CentralPermanentError):
    """Login failed or the credentials are not accepted (401, 403)."""


class CentralNotFound(CentralPermanentError):
    """The project, form, draft, attachment or submission does not exist (404)."""


class CentralConflict(CentralPermanentError):
    """A 409 other than the two named below."""


class CentralDuplicateForm(CentralConflict):
    """A form with this xmlFormId already exists in the project (409.3)."""


class CentralVersionConflict(CentralConflict):
    """The version string was already published for this form (409.6)."""


class CentralUnsupported(CentralPermanentError):
    """Central does not implement the requested OData feature (501.x)."""
