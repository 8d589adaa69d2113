"""ODK Central client: `CentralClient`, its form and submission services, typed results, errors."""

from core.clients.central.client import RENEW_MARGIN, RETRY_STATUSES, CentralClient, default_retry
from core.clients.central.errors import (
    CentralAuthError,
    CentralConflict,
    CentralDuplicateForm,
    CentralError,
    CentralNotFound,
    CentralPermanentError,
    CentralRetryableError,
    CentralUnsupported,
    CentralVersionConflict,
)
from core.clients.central.forms import FormService
from core.clients.central.models import (
    CentralForm,
    CentralSessionToken,
    CentralSubmission,
    FormAttachment,
    SubmissionPage,
    SubmissionResult,
)
from core.clients.central.odata import format_time, odata_query, parse_time
from core.clients.central.submissions import ChangeFeed, SubmissionService, Watermark

__all__ = [
    "RENEW_MARGIN",
    "RETRY_STATUSES",
    "CentralAuthError",
    "CentralClient",
    "CentralConflict",
    "CentralDuplicateForm",
    "CentralError",
    "CentralForm",
    "CentralNotFound",
    "CentralPermanentError",
    "CentralRetryableError",
    "CentralSessionToken",
    "CentralSubmission",
    "CentralUnsupported",
    "CentralVersionConflict",
    "ChangeFeed",
    "FormAttachment",
    "FormService",
    "SubmissionPage",
    "SubmissionResult",
    "SubmissionService",
    "Watermark",
    "default_retry",
    "format_time",
    "odata_query",
    "parse_time",
]
