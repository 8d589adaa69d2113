"""Publish to KoboToolbox: import, media, deploy, REST Service hook; every step safe to repeat.

A re-run finds what a failed run left on the server (an asset that already holds our version, a
version already deployed) and finishes the job without making a new server version.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Unpack

from sqlalchemy.orm import Session

from core.clients.kobo import (
    Asset,
    AssetFile,
    Deployment,
    HookSettings,
    HookSpec,
    KoboClient,
    KoboNotFound,
)
from core.store.models import Publication
from core.usecases.build import stamped_xlsform
from core.usecases.publish.common import (
    Progress,
    Publishing,
    PublishOptions,
    PublishResult,
    run_publish,
)
from core.usecases.publish.errors import PublishError, step
from core.usecases.publish.media import MediaChange, change, md5_hex

if TYPE_CHECKING:
    from config.settings import Settings

HOOK_NAME = "Pantau webhook"
TOKEN_HEADER = "X-Pantau-Token"  # noqa: S105 - a header name, not a secret  # nosec B105
WEBHOOK_PATH = "/webhooks/kobo"


def hook_spec(settings: Settings) -> HookSpec:
    """Our REST Service: JSON to `{public_url}/webhooks/kobo`, basic auth and a secret header.

    No subset_fields: with a subset, `_id`, `_uuid` and `meta/instanceID` vanish unless listed,
    and without them a delivery cannot be deduplicated.
    """
    username = settings.webhook_username
    password = settings.webhook_password.get_secret_value()
    token = settings.webhook_token.get_secret_value()
    return HookSpec(
        name=HOOK_NAME,
        endpoint=settings.public_url.rstrip("/") + WEBHOOK_PATH,
        settings=HookSettings(
            username=username if password else "",
            password=password if username else "",
            custom_headers={TOKEN_HEADER: token} if token else {},
        ),
        auth_level="basic_auth" if username and password else "no_auth",
    )


def _find_asset(run: Publishing, client: KoboClient) -> tuple[Asset | None, list[str]]:
    """Our asset: the one we last published to, else the survey of our form_id; and warnings.

    Never by display name: kpi names an asset after the XLSForm's form_title in the default
    language (not the name we import it with) and lets anyone rename it. The form_id it keeps
    in `content.settings.id_string` is what a rebuilt database finds its asset by.
    """
    progress, form_id = run.progress, run.prepared.form_id
    last = run.last_publication()
    if last is not None:
        try:
            asset = client.assets.get(last.server_form_id)
            progress("locate", f"asset {asset.uid} (from the last publication)")
            return asset, []
        except KoboNotFound:
            progress("locate", f"asset {last.server_form_id} is gone from the server")
    found = client.assets.find_by_form_id(form_id)
    if not found:
        progress("locate", f"no survey with form_id {form_id!r}: a new asset will be created")
        return None, []
    asset = found[0]
    progress("locate", f"asset {asset.uid} {asset.name!r} (its form_id is {form_id!r})")
    warnings = []
    if len(found) > 1:
        others = ", ".join(a.uid for a in found[1:])
        warnings.append(
            f"{len(found)} surveys on the server hold form_id {form_id!r}: publishing to "
            f"{asset.uid} ({asset.submission_count} submissions); archive the others ({others})"
        )
    return asset, warnings


def _sync_media(
    client: KoboClient, asset_uid: str, attachments: dict[str, Path], progress: Progress
) -> list[MediaChange]:
    """Upload the files the asset lacks or holds in another content; return what changed."""
    existing: dict[str, list[AssetFile]] = {}
    for f in client.files.list(asset_uid):
        existing.setdefault(f.filename, []).append(f)
    changes: list[MediaChange] = []
    for name, path in sorted(attachments.items()):
        content = path.read_bytes()
        current = existing.get(name, [])
        if len(current) == 1 and current[0].hash == "md5:" + md5_hex(content):
            progress("media", f"{name} unchanged")
            continue
        old = client.files.content(asset_uid, current[-1].uid) if current else None
        # Replace rather than add: devices would otherwise see two files of one name.
        for f in current:
            client.files.delete(asset_uid, f.uid)
        client.files.upload_media(asset_uid, name, content)
        changes.append(change(name, old, content, replaced=bool(current)))
        progress("media", changes[-1].describe())
    return changes


def publish_to_kobo(
    session: Session,
    client: KoboClient,
    form_id: str,
    settings: Settings,
    *,
    import_timeout: float = 300.0,
    poll_interval: float = 0.5,
    **options: Unpack[PublishOptions],
) -> PublishResult:
    """Build, check the contract, import, upload media, deploy and hook a form on Kobo."""
    steps = partial(
        _publish_kobo, client=client, import_timeout=import_timeout, poll_interval=poll_interval
    )
    return run_publish(session, form_id, settings, "kobo", client.base_url, steps, **options)


def _publish_kobo(
    run: Publishing, *, client: KoboClient, import_timeout: float, poll_interval: float
) -> PublishResult:
    """The Kobo steps, in order: locate, import, media, deploy, hook, record."""
    prepared = run.prepared
    run.progress("locate", f"looking for {prepared.form_id} on {run.server_url}")
    with step("locate"):
        asset, found_warnings = _find_asset(run, client)
    live = _live_publication(run, asset)
    asset = _import(run, client, asset, live, timeout=import_timeout, interval=poll_interval)

    # Media before the deploy, so the deploy that makes the version live carries them.
    attachments = prepared.attachments
    run.progress("media", f"{len(attachments)} file(s): {', '.join(attachments)}")
    with step("media"):
        changes = _sync_media(client, asset.uid, attachments, run.progress)
    uploaded = [c.name for c in changes]
    run.response["media_uploaded"] = uploaded

    asset, warnings = _deploy(run, client, asset, unchanged=live is not None, uploaded=uploaded)
    hook_state = _register_hook(run, client, asset.uid)
    extra = {
        "media_uploaded": tuple(uploaded),
        "hook": hook_state,
        "warnings": tuple(found_warnings + warnings),
    }
    if live is not None:
        # Same form version, same Kobo version id: only the media moved (if anything).
        return run.unchanged(live, asset.uid, media_changes=_described(changes), **extra)
    run.response.update(
        {
            "asset_uid": asset.uid,
            "version_id": asset.version_id,
            "deployed_version_id": asset.deployed_version_id,
            "deployment_status": asset.deployment_status,
            "deployed_versions": len(asset.deployed_versions),
        }
    )
    return run.published(asset.uid, asset.deployed_version_id, **extra)


def _described(changes: list[MediaChange]) -> tuple[str, ...]:
    return tuple(c.describe() for c in changes)


def _live_publication(run: Publishing, asset: Asset | None) -> Publication | None:
    """Our publication of this very build that the asset still serves, if there is one."""
    if asset is None:
        return None
    same = run.last_publication(
        server_form_id=asset.uid, xform_sha256=run.prepared.build.xform_sha256
    )
    if (
        same is not None
        and asset.deployed_version_id is not None
        and asset.deployed_version_id == same.server_version_id
    ):
        return same
    return None


def _import(
    run: Publishing,
    client: KoboClient,
    asset: Asset | None,
    live: Publication | None,
    *,
    timeout: float,
    interval: float,
) -> Asset:
    """Import the stamped XLSForm, unless the asset already holds this build; a survey asset."""
    version = run.prepared.build.version
    if live is not None:
        assert asset is not None
        run.progress("import", f"skipped: {asset.deployed_version_id} already holds this build")
    elif asset is not None and asset.version_id and asset.form_version == version:
        # A failed earlier run imported this very build: importing again would only make
        # another server version of identical content.
        run.progress("import", f"skipped: {asset.uid} already holds version {version}")
    else:
        asset = _upload_xlsform(run, client, asset, timeout=timeout, interval=interval)
    if asset.asset_type != "survey":
        raise PublishError(
            "import", f"asset {asset.uid} is a {asset.asset_type!r}, not a survey (library=false?)"
        )
    return asset


def _upload_xlsform(
    run: Publishing, client: KoboClient, asset: Asset | None, *, timeout: float, interval: float
) -> Asset:
    """Import our XLSForm stamped with the build's version, into `asset` if there is one."""
    form_id, version = run.prepared.form_id, run.prepared.build.version
    run.progress("import", f"uploading {form_id}.xlsx stamped {version}")
    with step("import"):
        xlsform = stamped_xlsform(Path(run.settings.forms_dir) / f"{form_id}.xlsx", version)
        import_uid = client.imports.create(
            xlsform,
            name=run.prepared.title,
            destination=asset.uid if asset is not None else None,
            filename=f"{form_id}.xlsx",
        )
        run.progress("import", f"polling import {import_uid}")
        asset_uid = client.imports.wait(import_uid, timeout=timeout, interval=interval)
        asset = client.assets.get(asset_uid)
    run.response["import_uid"] = import_uid
    run.progress("import", f"complete: asset {asset.uid}, version {asset.version_id}")
    return asset


def _deploy(
    run: Publishing, client: KoboClient, asset: Asset, *, unchanged: bool, uploaded: list[str]
) -> tuple[Asset, list[str]]:
    """Make the imported version (and new media) live; return the asset and any warnings."""
    warnings: list[str] = []
    run.progress("deploy", f"asset {asset.uid}")
    with step("deploy"):
        asset = client.assets.get(asset.uid)
        if unchanged:
            deployment = _redeploy_media(client, asset, uploaded, warnings)
        else:
            deployment = client.deployments.ensure_deployed(asset)
            if deployment is None and uploaded and asset.version_id:
                deployment = client.deployments.redeploy(asset.uid, asset.version_id)
        asset = client.assets.get(asset.uid)
    if deployment is not None:
        run.response["deployment"] = {
            "active": deployment.active,
            "version_id": deployment.version_id,
            "backend": deployment.backend,
        }
        run.progress("deploy", f"deployed {deployment.version_id} (active={deployment.active})")
    else:
        run.progress("deploy", f"already live: {asset.deployed_version_id}")
    if not unchanged and asset.deployed_version_id != asset.version_id:
        raise PublishError(
            "deploy",
            f"asset {asset.uid} serves {asset.deployed_version_id}, not the imported "
            f"{asset.version_id}",
        )
    return asset, warnings


def _redeploy_media(
    client: KoboClient, asset: Asset, uploaded: list[str], warnings: list[str]
) -> Deployment | None:
    """For a build already live: redeploy when new media came or the deployment is off."""
    if not uploaded and asset.deployment_active:
        return None
    if asset.version_id == asset.deployed_version_id:
        # Same version id: Kobo pushes the new media without a new version.
        return client.deployments.redeploy(asset.uid, asset.version_id)
    warnings.append(
        f"asset {asset.uid} has an undeployed draft made on the server; "
        "new media reach devices at the next publish"
    )
    return None


def _register_hook(run: Publishing, client: KoboClient, asset_uid: str) -> str:
    """Create or update our REST Service on the asset; return created, updated or unchanged."""
    run.progress("hook", f"REST Service {HOOK_NAME!r} -> {run.settings.public_url}{WEBHOOK_PATH}")
    with step("hook"):
        hook, hook_state = client.hooks.ensure(asset_uid, hook_spec(run.settings))
    run.response["hook"] = {"uid": hook.uid, "state": hook_state, "endpoint": hook.endpoint}
    run.progress("hook", f"{hook_state} ({hook.uid})")
    return hook_state
