"""Errors of the KoboToolbox client: the exception type says whether a retry can help."""

from __future__ import annotations

from core.clients.http import HttpError


class KoboError(HttpError):
    """Base of every error the Kobo client raises; carries the HTTP answer when there was one."""


class KoboRetryableError(KoboError):
    """The request may succeed later: 429, 502/503/504, a timeout or a refused connection."""

    retryable = True


class KoboTimeout(KoboRetryableError):
    """No answer within the client's timeout (or an import still processing at the deadline)."""


class KoboPermanentError(KoboError):
    """Retrying the same request will not help: other 4xx, 500, a malformed answer."""


class KoboAuthError(KoboPermanentError):
    """The token is wrong or lacks permission (401, 403)."""


class KoboNotFound(KoboPermanentError):
    """No such asset, submission, hook or file (404; also what Kobo answers without a token)."""


class KoboImportError(KoboPermanentError):
    """An XLSForm import ended with status `error`; the message is Kobo's."""
