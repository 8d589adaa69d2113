"""Typed results of the KoboToolbox client: assets, imports, deployments, files, hooks, data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class DeployedVersion:
    """One deployed version of an asset (`v…` uid, what arrives as `__version__`)."""

    uid: str
    date_deployed: str | None
    content_hash: str | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DeployedVersion:
        """Build from an entry of `deployed_versions.results`."""
        return cls(data["uid"], data.get("date_deployed"), data.get("content_hash"))


@dataclass(frozen=True)
class Asset:
    """A Kobo asset (a survey, or a library block when `library` was left out of the import)."""

    uid: str
    name: str
    asset_type: str
    url: str | None
    version_id: str | None
    deployed_version_id: str | None
    deployment_active: bool
    deployment_status: str | None
    deployed_versions: tuple[DeployedVersion, ...] = ()
    content_hash: str | None = None
    # The XLSForm's form_id and version, which kpi keeps in `content.settings` (detail only).
    form_id: str | None = None
    form_version: str | None = None
    submission_count: int = 0
    date_created: str | None = None

    @property
    def is_deployed(self) -> bool:
        """Whether the asset has ever been deployed (a redeploy is a PATCH, not a POST)."""
        return self.deployed_version_id is not None

    @property
    def needs_redeploy(self) -> bool:
        """Whether the current version is not the deployed one."""
        return self.is_deployed and self.version_id != self.deployed_version_id

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Asset:
        """Build from an asset list item or detail."""
        versions = (data.get("deployed_versions") or {}).get("results") or []
        return cls(
            uid=data["uid"],
            name=data.get("name") or "",
            asset_type=data.get("asset_type") or "",
            url=data.get("url"),
            version_id=data.get("version_id"),
            deployed_version_id=data.get("deployed_version_id"),
            deployment_active=bool(data.get("deployment__active")),
            deployment_status=data.get("deployment_status"),
            deployed_versions=tuple(DeployedVersion.from_json(v) for v in versions),
            content_hash=data.get("version__content_hash"),
            form_id=content_setting(data, "id_string"),
            form_version=content_setting(data, "version"),
            submission_count=int(data.get("deployment__submission_count") or 0),
            date_created=data.get("date_created"),
        )


def content_setting(data: Mapping[str, Any], key: str) -> str | None:
    """One setting of an asset detail's `content.settings`, as a string, if it is there."""
    settings = (data.get("content") or {}).get("settings")
    if isinstance(settings, list):  # older kpi content kept settings as a one-row list
        settings = settings[0] if settings else {}
    value = (settings or {}).get(key) if isinstance(settings, dict) else None
    return str(value) if value is not None else None


@dataclass(frozen=True)
class ImportTask:
    """An XLSForm import and, once complete, the asset it created or updated."""

    uid: str
    status: str
    messages: dict[str, Any] = field(default_factory=dict)

    @property
    def asset_uid(self) -> str | None:
        """The asset uid from `messages.created[0]` or `messages.updated[0]`."""
        for key in ("created", "updated"):
            items = self.messages.get(key) or []
            if items and isinstance(items[0], dict) and items[0].get("uid"):
                return items[0]["uid"]
        return None

    @property
    def error(self) -> str | None:
        """Kobo's error message for a failed import."""
        err = self.messages.get("error")
        if isinstance(err, list):
            return "; ".join(str(e) for e in err)
        return str(err) if err else None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ImportTask:
        """Build from `/api/v2/imports/<uid>/`."""
        return cls(data["uid"], data.get("status") or "", dict(data.get("messages") or {}))


@dataclass(frozen=True)
class Deployment:
    """The answer to a deploy or redeploy."""

    asset_uid: str
    active: bool
    version_id: str | None
    backend: str | None

    @classmethod
    def from_json(cls, asset_uid: str, data: Mapping[str, Any]) -> Deployment:
        """Build from `/api/v2/assets/<uid>/deployment/`."""
        return cls(asset_uid, bool(data.get("active")), data.get("version_id"), data.get("backend"))


@dataclass(frozen=True)
class AssetFile:
    """A file attached to an asset (form media such as a CSV for `select_one_from_file`)."""

    uid: str
    file_type: str
    filename: str
    hash: str | None
    description: str
    date_created: str | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AssetFile:
        """Build from `/api/v2/assets/<uid>/files/` entries."""
        meta = data.get("metadata") or {}
        return cls(
            uid=data["uid"],
            file_type=data.get("file_type") or "",
            filename=meta.get("filename") or "",
            hash=meta.get("hash"),
            description=data.get("description") or "",
            date_created=data.get("date_created"),
        )


@dataclass(frozen=True)
class HookSettings:
    """Basic-auth credentials and static headers a REST Service sends with each delivery."""

    username: str = ""
    password: str = field(default="", repr=False)
    custom_headers: Mapping[str, str] = field(default_factory=dict, repr=False)

    def to_json(self) -> dict[str, Any]:
        """Kobo's `settings` object."""
        return {
            "username": self.username,
            "password": self.password,
            "custom_headers": dict(self.custom_headers),
        }


@dataclass(frozen=True)
class HookSpec:
    """What we ask Kobo to register: JSON deliveries to our webhook, with basic auth."""

    name: str
    endpoint: str
    settings: HookSettings = field(default_factory=HookSettings)
    active: bool = True
    export_type: str = "json"
    auth_level: str = "basic_auth"
    # Leave empty to receive every field: `_id`/`_uuid`/`meta/instanceID` vanish unless listed.
    subset_fields: tuple[str, ...] = ()
    email_notification: bool = True

    def to_json(self) -> dict[str, Any]:
        """The body of a hook create or update."""
        return {
            "name": self.name,
            "endpoint": self.endpoint,
            "active": self.active,
            "export_type": self.export_type,
            "auth_level": self.auth_level,
            "settings": self.settings.to_json(),
            "subset_fields": list(self.subset_fields),
            "email_notification": self.email_notification,
        }


@dataclass(frozen=True)
class Hook:
    """A registered REST Service and its delivery counters."""

    uid: str
    name: str
    endpoint: str
    active: bool
    export_type: str
    auth_level: str
    settings: HookSettings
    subset_fields: tuple[str, ...]
    success_count: int = 0
    failed_count: int = 0
    pending_count: int = 0

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Hook:
        """Build from `/api/v2/assets/<uid>/hooks/` entries."""
        s = data.get("settings") or {}
        return cls(
            uid=data["uid"],
            name=data.get("name") or "",
            endpoint=data.get("endpoint") or "",
            active=bool(data.get("active")),
            export_type=data.get("export_type") or "",
            auth_level=data.get("auth_level") or "",
            settings=HookSettings(
                s.get("username", ""), s.get("password", ""), dict(s.get("custom_headers") or {})
            ),
            subset_fields=tuple(data.get("subset_fields") or ()),
            success_count=int(data.get("success_count") or 0),
            failed_count=int(data.get("failed_count") or 0),
            pending_count=int(data.get("pending_count") or 0),
        )

    def matches(self, spec: HookSpec) -> bool:
        """Whether the hook already is what `spec` asks for (so no update is needed)."""
        return (
            self.name,
            self.endpoint,
            self.active,
            self.export_type,
            self.auth_level,
            self.settings,
            self.subset_fields,
        ) == (
            spec.name,
            spec.endpoint,
            spec.active,
            spec.export_type,
            spec.auth_level,
            HookSettings(
                spec.settings.username, spec.settings.password, dict(spec.settings.custom_headers)
            ),
            tuple(spec.subset_fields),
        )


HOOK_FAILED, HOOK_PENDING, HOOK_SUCCESS = 0, 1, 2


@dataclass(frozen=True)
class HookLog:
    """One delivery of one submission to a hook."""

    uid: str
    submission_id: int | None
    status: int
    status_code: int | None
    message: str
    tries: int
    date_modified: str | None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> HookLog:
        """Build from `…/hooks/<uid>/logs/` entries."""
        return cls(
            uid=data["uid"],
            submission_id=data.get("submission_id"),
            status=int(data.get("status", -1)),
            status_code=data.get("status_code"),
            message=str(data.get("message") or ""),
            tries=int(data.get("tries") or 0),
            date_modified=data.get("date_modified"),
        )


@dataclass(frozen=True)
class SubmissionPage:
    """One page of the data API: Kobo's string-valued flat submission dicts."""

    count: int
    results: list[dict[str, Any]]
    next: str | None
    previous: str | None = None


@dataclass(frozen=True)
class ManifestEntry:
    """`_id` (stable across edits) and `_uuid` (changes on every edit) of one submission."""

    id: int
    uuid: str


@dataclass(frozen=True)
class SubmitResult:
    """Kobo's OpenRosa answer to a submission: 201 created, 202 duplicate."""

    status_code: int
    message: str
    nature: str | None = None

    @property
    def created(self) -> bool:
        """A new submission (or an edit) was stored."""
        return self.status_code == 201

    @property
    def duplicate(self) -> bool:
        """The same instance had been received before; nothing was stored."""
        return self.status_code == 202
