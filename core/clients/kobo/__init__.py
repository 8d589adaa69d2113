"""KoboToolbox client: `KoboClient`, its per-resource services, typed results and errors."""

from core.clients.kobo.assets import AssetService
from core.clients.kobo.client import RETRY_STATUSES, KoboClient, default_retry
from core.clients.kobo.data import MAX_PAGE_SIZE, DataService
from core.clients.kobo.deployments import DeploymentService
from core.clients.kobo.errors import (
    KoboAuthError,
    KoboError,
    KoboImportError,
    KoboNotFound,
    KoboPermanentError,
    KoboRetryableError,
    KoboTimeout,
)
from core.clients.kobo.files import FileService
from core.clients.kobo.hooks import HookService
from core.clients.kobo.imports import XLSX_TYPE, ImportService
from core.clients.kobo.models import (
    HOOK_FAILED,
    HOOK_PENDING,
    HOOK_SUCCESS,
    Asset,
    AssetFile,
    DeployedVersion,
    Deployment,
    Hook,
    HookLog,
    HookSettings,
    HookSpec,
    ImportTask,
    ManifestEntry,
    SubmissionPage,
    SubmitResult,
)

__all__ = [
    "HOOK_FAILED",
    "HOOK_PENDING",
    "HOOK_SUCCESS",
    "MAX_PAGE_SIZE",
    "RETRY_STATUSES",
    "XLSX_TYPE",
    "Asset",
    "AssetFile",
    "AssetService",
    "DataService",
    "DeployedVersion",
    "Deployment",
    "DeploymentService",
    "FileService",
    "Hook",
    "HookLog",
    "HookService",
    "HookSettings",
    "HookSpec",
    "ImportService",
    "ImportTask",
    "KoboAuthError",
    "KoboClient",
    "KoboError",
    "KoboImportError",
    "KoboNotFound",
    "KoboPermanentError",
    "KoboRetryableError",
    "KoboTimeout",
    "ManifestEntry",
    "SubmissionPage",
    "SubmitResult",
    "default_retry",
]
