"""Publish a built form to KoboToolbox or ODK Central, refusing versions that break stored data.

Both publishers build and validate first (core.usecases.build), compare the form contract with the
one of the last published version that has stored submissions, then talk to the server step by
step, reporting each step through `progress(step, detail)`. A failed step raises
`PublishError(step, reason)`. Every step can be repeated: a re-run finds what a failed run left
on the server (an asset that already holds our version, a version already deployed) and
finishes the job without making a new server version. The Publication row is added only once
the form is live. Functions here take a Session and never commit (the caller does); on a
PublishError the session holds the build and an audit row, worth committing so that a re-run
publishes the very same version.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from core.clients.central import (
    CentralClient,
    CentralDuplicateForm,
    CentralError,
    CentralNotFound,
    CentralVersionConflict,
)
from core.clients.kobo import Asset, HookSettings, HookSpec, KoboClient, KoboError, KoboNotFound
from core.domain.forms.contract import Contract, load_contract
from core.domain.forms.errors import ContractError, FormBuildError, FormError, FormLintError
from core.store.models import AuditLog, FormVersion, Publication, Submission
from core.usecases.build import BuildResult, build_form, stamped_xlsform, write_attachments

if TYPE_CHECKING:
    from config.settings import Settings

Progress = Callable[[str, str], None]

HOOK_NAME = "Pantau webhook"
TOKEN_HEADER = "X-Pantau-Token"  # noqa: S105 - a header name, not a secret
WEBHOOK_PATH = "/webhooks/kobo"
# Central refuses to publish a version string twice (409.6); how many suffixes to try.
MAX_VERSION_SUFFIX = 20


class PublishError(FormError):
    """A publishing step failed; `step` names it, `reason` says why."""

    def __init__(self, step: str, reason: str) -> None:
        self.step = step
        self.reason = reason
        super().__init__(f"{step}: {reason}")


@dataclass(frozen=True)
class FieldChange:
    """One contract field that stored submissions rely on and the new build changes."""

    name: str
    change: str

    def format(self) -> str:
        """`name: what changed`."""
        return f"{self.name}: {self.change}"


class ContractBreak(PublishError):
    """The new build would break the form contract for submissions already stored."""

    def __init__(self, form_id: str, against: str, changes: list[FieldChange]) -> None:
        self.form_id = form_id
        self.against = against
        self.changes = changes
        detail = "; ".join(c.format() for c in changes)
        super().__init__(
            "contract",
            f"{form_id} would break stored submissions of version {against}: {detail} "
            "(publish with --force REASON to override)",
        )


@dataclass(frozen=True)
class PublishResult:
    """What a publish did: the server's ids for our version, and whether anything changed."""

    form_id: str
    version: str
    server: str
    server_url: str
    server_form_id: str
    server_version_id: str | None
    xform_sha256: str
    state: str  # published | unchanged
    publication_id: int | None
    forced_reason: str | None = None
    media_uploaded: tuple[str, ...] = ()
    hook: str | None = None  # created | updated | unchanged (Kobo only)
    warnings: tuple[str, ...] = ()

    @property
    def unchanged(self) -> bool:
        """The server already had this build live; no new server version was made."""
        return self.state == "unchanged"


@dataclass(frozen=True)
class PublicationRow:
    """One publication of a form, for `pantau forms versions`."""

    version: str
    server: str
    server_url: str
    server_form_id: str
    server_version_id: str | None
    status: str
    published_at: datetime | None
    published_by: str
    forced_reason: str | None


@dataclass
class _Prepared:
    build: BuildResult
    form_version: FormVersion
    title: str
    forced_reason: str | None
    attachments: dict[str, Path] = field(default_factory=dict)


def _noop(step: str, detail: str) -> None:
    return None


# -- settings and contract ------------------------------------------------------------------------


def missing_settings(settings: Settings, server: str) -> list[str]:
    """The settings a publish to `server` needs and lacks, one message each."""
    missing: list[str] = []
    if server == "kobo":
        if not settings.kobo_url:
            missing.append("PANTAU_KOBO_URL is not set")
        if not settings.kobo_token.get_secret_value():
            missing.append("PANTAU_KOBO_TOKEN is not set")
        if not settings.public_url:
            missing.append("PANTAU_PUBLIC_URL is not set (the webhook Kobo posts to)")
        has_basic = bool(settings.webhook_username and settings.webhook_password.get_secret_value())
        if not has_basic and not settings.webhook_token.get_secret_value():
            missing.append(
                "set PANTAU_WEBHOOK_USERNAME and PANTAU_WEBHOOK_PASSWORD or PANTAU_WEBHOOK_TOKEN "
                "(the webhook refuses unauthenticated deliveries)"
            )
    elif server == "central":
        if not settings.central_url:
            missing.append("PANTAU_CENTRAL_URL is not set")
        if not settings.central_email:
            missing.append("PANTAU_CENTRAL_EMAIL is not set")
        if not settings.central_password.get_secret_value():
            missing.append("PANTAU_CENTRAL_PASSWORD is not set")
    else:
        missing.append(f"unknown server {server!r} (kobo or central)")
    return missing


def form_contract(settings: Settings) -> Contract:
    """The contract next to the forms (a district's forms_dir carries its own), else the default."""
    candidate = Path(settings.forms_dir) / "contract.toml"
    return load_contract(candidate if candidate.exists() else None)


def contract_changes(old: dict[str, Any], new: dict[str, Any]) -> list[FieldChange]:
    """Fields of the `old` contract snapshot that `new` removes, renames or retypes."""
    old_fields: dict[str, dict[str, Any]] = old.get("fields") or {}
    new_fields: dict[str, dict[str, Any]] = new.get("fields") or {}
    added = {n: f for n, f in new_fields.items() if n not in old_fields}
    changes: list[FieldChange] = []
    for name, before in old_fields.items():
        after = new_fields.get(name)
        if after is None:
            # A field gone while one of the same shape appears is most likely a rename.
            same = [n for n, f in added.items() if _shape(f) == _shape(before)]
            if len(same) == 1:
                changes.append(FieldChange(name, f"renamed to {same[0]!r}"))
            else:
                changes.append(FieldChange(name, "removed"))
            continue
        if before.get("type") != after.get("type"):
            changes.append(
                FieldChange(name, f"type changed from {before.get('type')} to {after.get('type')}")
            )
        if before.get("list") != after.get("list"):
            changes.append(
                FieldChange(
                    name, f"choice list changed from {before.get('list')} to {after.get('list')}"
                )
            )
        dropped = [c for c in before.get("choices") or [] if c not in (after.get("choices") or [])]
        if dropped:
            changes.append(FieldChange(name, "choices removed: " + ", ".join(dropped)))
        if before.get("repeat") != after.get("repeat"):
            changes.append(
                FieldChange(
                    name,
                    f"repeat changed from {before.get('repeat') or '(none)'} "
                    f"to {after.get('repeat') or '(none)'}",
                )
            )
    return changes


def _shape(f: dict[str, Any]) -> tuple[Any, ...]:
    return (f.get("type"), f.get("list"), f.get("repeat"))


def version_with_submissions(session: Session, form_id: str) -> FormVersion | None:
    """The last published version of form_id that stored submissions were made against.

    Submissions whose server version we could not map still count: they are compared with the
    last published version, the best guess of what they were made with.
    """
    live = Submission.status != "deleted"
    published = exists().where(Publication.form_version_id == FormVersion.id)
    newest = (FormVersion.version.desc(), FormVersion.id.desc())
    mapped = session.scalars(
        select(FormVersion)
        .where(FormVersion.form_id == form_id, published)
        .where(exists().where(Submission.form_version_id == FormVersion.id, live))
        .order_by(*newest)
        .limit(1)
    ).first()
    if mapped is not None:
        return mapped
    unmapped = session.scalar(select(exists().where(Submission.form_id == form_id, live)))
    if not unmapped:
        return None
    return session.scalars(
        select(FormVersion)
        .where(FormVersion.form_id == form_id, published)
        .order_by(*newest)
        .limit(1)
    ).first()


def check_contract(
    session: Session, form_id: str, new_contract: dict[str, Any], force_reason: str | None
) -> tuple[list[FieldChange], str | None]:
    """Raise ContractBreak when stored submissions would break, unless forced with a reason.

    Returns the changes overridden and the reason that overrode them (None when nothing broke).
    """
    against = version_with_submissions(session, form_id)
    if against is None:
        return [], None
    changes = contract_changes(against.contract or {}, new_contract)
    if not changes:
        return [], None
    if not force_reason:
        raise ContractBreak(form_id, against.version, changes)
    return changes, force_reason


# -- shared steps ----------------------------------------------------------------------------------


@contextmanager
def _step(name: str) -> Iterator[None]:
    """Turn a server or build error inside a step into PublishError naming the step."""
    try:
        yield
    except PublishError:
        raise
    except (KoboError, CentralError, FormError, OSError) as exc:
        raise PublishError(name, str(exc) or type(exc).__name__) from exc


def _prepare(
    session: Session,
    form_id: str,
    settings: Settings,
    *,
    actor: str,
    force_reason: str | None,
    progress: Progress,
    contract: Contract | None,
    today: date | None,
) -> _Prepared:
    progress("build", f"{form_id}: lint, convert, ODK Validate")
    try:
        contract = contract or form_contract(settings)
        form_c = contract.form(form_id)
    except ContractError as exc:
        raise PublishError("build", str(exc)) from exc
    path = Path(settings.forms_dir) / f"{form_id}.xlsx"
    if not path.exists():
        raise PublishError("build", f"no such form: {path}")
    out_dir = Path(settings.build_dir)
    try:
        media = {p.name: p for p in write_attachments(session, out_dir)}
        build = build_form(
            path, contract=contract, out_dir=out_dir, session=session, built_by=actor, today=today
        )
    except FormLintError as exc:
        raise PublishError(
            "build", "lint failed: " + "; ".join(p.format() for p in exc.problems)
        ) from exc
    except FormBuildError as exc:
        raise PublishError("build", exc.validator_message) from exc
    except OSError as exc:
        raise PublishError("build", str(exc)) from exc
    state = "new version" if build.new_version else "unchanged since last build"
    progress("build", f"version {build.version} ({state}), xform sha256 {build.xform_sha256[:12]}")
    form_version = session.scalars(
        select(FormVersion).where(
            FormVersion.form_id == form_id, FormVersion.version == build.version
        )
    ).one()

    progress("contract", "comparing with the version stored submissions were made with")
    changes, forced = check_contract(session, form_id, form_c.to_json(), force_reason)
    if changes:
        progress(
            "contract",
            "FORCED past: " + "; ".join(c.format() for c in changes) + f" (reason: {forced})",
        )
    else:
        progress("contract", "ok")

    attachments: dict[str, Path] = {}
    for name in build.attachments:
        local = media.get(name) or out_dir / name
        if not local.exists():
            raise PublishError("build", f"form media {name} was not produced in {out_dir}")
        attachments[name] = local
    return _Prepared(build, form_version, form_c.title or form_id, forced, attachments)


def _record(
    session: Session,
    prepared: _Prepared,
    *,
    server: str,
    server_url: str,
    server_form_id: str,
    server_version_id: str | None,
    actor: str,
    response: dict[str, Any],
) -> Publication:
    publication = Publication(
        form_version_id=prepared.form_version.id,
        server=server,
        server_url=server_url,
        server_form_id=server_form_id,
        server_version_id=server_version_id,
        status="published",
        published_by=actor,
        forced_reason=prepared.forced_reason,
        response=response,
    )
    session.add(publication)
    session.flush()
    return publication


def _audit(
    session: Session, actor: str, action: str, server: str, form_id: str, detail: dict[str, Any]
) -> None:
    session.add(AuditLog(actor=actor, action=action, target=f"{server}:{form_id}", detail=detail))
    session.flush()


def _last_publication(
    session: Session,
    server: str,
    server_url: str,
    form_id: str,
    *,
    server_form_id: str | None = None,
    xform_sha256: str | None = None,
) -> Publication | None:
    query = (
        select(Publication)
        .join(FormVersion, Publication.form_version_id == FormVersion.id)
        .where(
            Publication.server == server,
            Publication.server_url == server_url,
            FormVersion.form_id == form_id,
            Publication.status == "published",
        )
    )
    if server_form_id is not None:
        query = query.where(Publication.server_form_id == server_form_id)
    if xform_sha256 is not None:
        query = query.where(FormVersion.xform_sha256 == xform_sha256)
    return session.scalars(query.order_by(Publication.id.desc()).limit(1)).first()


def _run(
    publish: Callable[[], PublishResult],
    session: Session,
    *,
    actor: str,
    server: str,
    form_id: str,
) -> PublishResult:
    try:
        result = publish()
    except ContractBreak as exc:
        _audit(
            session,
            actor,
            "form.publish_refused",
            server,
            form_id,
            {"against": exc.against, "changes": [c.format() for c in exc.changes]},
        )
        raise
    except PublishError as exc:
        _audit(
            session,
            actor,
            "form.publish_failed",
            server,
            form_id,
            {"step": exc.step, "reason": exc.reason[:2000]},
        )
        raise
    _audit(
        session,
        actor,
        "form.publish",
        server,
        form_id,
        {
            "version": result.version,
            "state": result.state,
            "server_form_id": result.server_form_id,
            "server_version_id": result.server_version_id,
            "xform_sha256": result.xform_sha256,
            "forced_reason": result.forced_reason,
        },
    )
    return result


# -- Kobo -----------------------------------------------------------------------------------------


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


def _asset_detail(client: KoboClient, uid: str) -> tuple[Asset, dict[str, Any]]:
    # The raw detail too: the typed Asset does not carry `content`, where our version stamp is.
    doc = client.get_json(f"/api/v2/assets/{uid}/")
    return Asset.from_json(doc), doc


def _content_version(doc: dict[str, Any]) -> str | None:
    settings = (doc.get("content") or {}).get("settings")
    if isinstance(settings, list):  # older kpi content kept settings as a one-row list
        settings = settings[0] if settings else {}
    value = (settings or {}).get("version")
    return str(value) if value is not None else None


def _find_asset(
    session: Session, client: KoboClient, form_id: str, name: str, progress: Progress
) -> tuple[Asset, dict[str, Any]] | None:
    last = _last_publication(session, "kobo", client.base_url, form_id)
    if last is not None:
        try:
            found = _asset_detail(client, last.server_form_id)
            progress("locate", f"asset {last.server_form_id} (from the last publication)")
            return found
        except KoboNotFound:
            progress("locate", f"asset {last.server_form_id} is gone from the server")
    asset = client.assets.find_by_name(name)
    if asset is None:
        progress("locate", f"no asset named {name!r}: a new one will be created")
        return None
    progress("locate", f"asset {asset.uid} (found by name {name!r})")
    return _asset_detail(client, asset.uid)


def _sync_media(
    client: KoboClient, asset_uid: str, attachments: dict[str, Path], progress: Progress
) -> list[str]:
    """Upload the CSVs the asset lacks or holds in another content; return the names uploaded."""
    existing: dict[str, list[Any]] = {}
    for f in client.files.list(asset_uid):
        existing.setdefault(f.filename, []).append(f)
    uploaded: list[str] = []
    for name, path in sorted(attachments.items()):
        content = path.read_bytes()
        digest = "md5:" + hashlib.md5(content, usedforsecurity=False).hexdigest()
        current = existing.get(name, [])
        if len(current) == 1 and current[0].hash == digest:
            progress("media", f"{name} unchanged")
            continue
        # Replace rather than add: devices would otherwise see two files of one name.
        for old in current:
            client.files.delete(asset_uid, old.uid)
        client.files.upload_media(asset_uid, name, content)
        uploaded.append(name)
        progress("media", f"{name} uploaded ({len(content)} bytes)")
    return uploaded


def publish_to_kobo(
    session: Session,
    client: KoboClient,
    form_id: str,
    settings: Settings,
    *,
    actor: str,
    force_reason: str | None = None,
    progress: Progress | None = None,
    contract: Contract | None = None,
    today: date | None = None,
    import_timeout: float = 300.0,
    poll_interval: float = 0.5,
) -> PublishResult:
    """Build, check the contract, import, upload media, deploy and hook a form on Kobo."""
    report = progress or _noop
    return _run(
        lambda: _publish_kobo(
            session,
            client,
            form_id,
            settings,
            actor=actor,
            force_reason=force_reason,
            progress=report,
            contract=contract,
            today=today,
            import_timeout=import_timeout,
            poll_interval=poll_interval,
        ),
        session,
        actor=actor,
        server="kobo",
        form_id=form_id,
    )


def _publish_kobo(
    session: Session,
    client: KoboClient,
    form_id: str,
    settings: Settings,
    *,
    actor: str,
    force_reason: str | None,
    progress: Progress,
    contract: Contract | None,
    today: date | None,
    import_timeout: float,
    poll_interval: float,
) -> PublishResult:
    prepared = _prepare(
        session,
        form_id,
        settings,
        actor=actor,
        force_reason=force_reason,
        progress=progress,
        contract=contract,
        today=today,
    )
    build = prepared.build
    server_url = client.base_url
    response: dict[str, Any] = {}

    progress("locate", f"looking for {form_id} on {server_url}")
    with _step("locate"):
        found = _find_asset(session, client, form_id, prepared.title, progress)
    asset, doc = found if found else (None, {})

    same = None
    if asset is not None:
        same = _last_publication(
            session,
            "kobo",
            server_url,
            form_id,
            server_form_id=asset.uid,
            xform_sha256=build.xform_sha256,
        )
    unchanged = (
        asset is not None
        and same is not None
        and asset.deployed_version_id is not None
        and asset.deployed_version_id == same.server_version_id
    )

    if unchanged:
        assert asset is not None
        progress("import", f"skipped: {asset.deployed_version_id} already holds this build")
    elif asset is not None and asset.version_id and _content_version(doc) == build.version:
        # A failed earlier run imported this very build: importing again would only make
        # another server version of identical content.
        progress("import", f"skipped: {asset.uid} already holds version {build.version}")
    else:
        progress("import", f"uploading {form_id}.xlsx stamped {build.version}")
        with _step("import"):
            xlsform = stamped_xlsform(Path(settings.forms_dir) / f"{form_id}.xlsx", build.version)
            import_uid = client.imports.create(
                xlsform,
                name=prepared.title,
                destination=asset.uid if asset is not None else None,
                filename=f"{form_id}.xlsx",
            )
            progress("import", f"polling import {import_uid}")
            asset_uid = client.imports.wait(
                import_uid, timeout=import_timeout, interval=poll_interval
            )
            asset, doc = _asset_detail(client, asset_uid)
        response["import_uid"] = import_uid
        progress("import", f"complete: asset {asset.uid}, version {asset.version_id}")
    assert asset is not None
    if asset.asset_type != "survey":
        raise PublishError(
            "import", f"asset {asset.uid} is a {asset.asset_type!r}, not a survey (library=false?)"
        )

    # Media before the deploy, so the deploy that makes the version live carries them.
    progress("media", f"{len(prepared.attachments)} file(s): {', '.join(prepared.attachments)}")
    with _step("media"):
        uploaded = _sync_media(client, asset.uid, prepared.attachments, progress)
    response["media_uploaded"] = uploaded

    warnings: list[str] = []
    progress("deploy", f"asset {asset.uid}")
    with _step("deploy"):
        asset = client.assets.get(asset.uid)
        if unchanged:
            deployment = None
            if uploaded or not asset.deployment_active:
                if asset.version_id == asset.deployed_version_id:
                    # Same version id: Kobo pushes the new media without a new version.
                    deployment = client.deployments.redeploy(asset.uid, asset.version_id)
                else:
                    warnings.append(
                        f"asset {asset.uid} has an undeployed draft made on the server; "
                        "new media reach devices at the next publish"
                    )
        else:
            deployment = client.deployments.ensure_deployed(asset)
            if deployment is None and uploaded and asset.version_id:
                deployment = client.deployments.redeploy(asset.uid, asset.version_id)
        asset = client.assets.get(asset.uid)
    if deployment is not None:
        response["deployment"] = {
            "active": deployment.active,
            "version_id": deployment.version_id,
            "backend": deployment.backend,
        }
        progress("deploy", f"deployed {deployment.version_id} (active={deployment.active})")
    else:
        progress("deploy", f"already live: {asset.deployed_version_id}")
    if not unchanged and asset.deployed_version_id != asset.version_id:
        raise PublishError(
            "deploy",
            f"asset {asset.uid} serves {asset.deployed_version_id}, not the imported "
            f"{asset.version_id}",
        )

    progress("hook", f"REST Service {HOOK_NAME!r} -> {settings.public_url}{WEBHOOK_PATH}")
    with _step("hook"):
        hook, hook_state = client.hooks.ensure(asset.uid, hook_spec(settings))
    response["hook"] = {"uid": hook.uid, "state": hook_state, "endpoint": hook.endpoint}
    progress("hook", f"{hook_state} ({hook.uid})")

    if unchanged:
        assert same is not None
        progress("record", f"unchanged: publication #{same.id} still live")
        publication_id, server_version_id, state = same.id, same.server_version_id, "unchanged"
    else:
        response.update(
            {
                "asset_uid": asset.uid,
                "version_id": asset.version_id,
                "deployed_version_id": asset.deployed_version_id,
                "deployment_status": asset.deployment_status,
                "deployed_versions": len(asset.deployed_versions),
            }
        )
        with _step("record"):
            publication = _record(
                session,
                prepared,
                server="kobo",
                server_url=server_url,
                server_form_id=asset.uid,
                server_version_id=asset.deployed_version_id,
                actor=actor,
                response=response,
            )
        progress(
            "record",
            f"publication #{publication.id}: {build.version} = {asset.deployed_version_id}",
        )
        publication_id, server_version_id = publication.id, asset.deployed_version_id
        state = "published"
    return PublishResult(
        form_id=form_id,
        version=build.version,
        server="kobo",
        server_url=server_url,
        server_form_id=asset.uid,
        server_version_id=server_version_id,
        xform_sha256=build.xform_sha256,
        state=state,
        publication_id=publication_id,
        forced_reason=prepared.forced_reason,
        media_uploaded=tuple(uploaded),
        hook=hook_state,
        warnings=tuple(warnings),
    )


# -- Central --------------------------------------------------------------------------------------


def xform_id(xform: bytes) -> str:
    """The `id` of the XForm's primary instance (Central's xmlFormId)."""
    # Our own build output, not server XML: the standard parser is fine here.
    root = ET.fromstring(xform)  # noqa: S314
    for el in root.iter():
        if el.tag.rsplit("}", 1)[-1] == "instance" and not el.get("id") and len(el):
            form_id = el[0].get("id")
            if form_id:
                return form_id
    raise PublishError("build", "the XForm has no primary instance id")


def publish_to_central(
    session: Session,
    client: CentralClient,
    form_id: str,
    settings: Settings,
    *,
    actor: str,
    force_reason: str | None = None,
    progress: Progress | None = None,
    contract: Contract | None = None,
    today: date | None = None,
) -> PublishResult:
    """Build, check the contract, and publish the XForm with its CSVs on ODK Central."""
    report = progress or _noop
    return _run(
        lambda: _publish_central(
            session,
            client,
            form_id,
            settings,
            actor=actor,
            force_reason=force_reason,
            progress=report,
            contract=contract,
            today=today,
        ),
        session,
        actor=actor,
        server="central",
        form_id=form_id,
    )


def _publish_central(
    session: Session,
    client: CentralClient,
    form_id: str,
    settings: Settings,
    *,
    actor: str,
    force_reason: str | None,
    progress: Progress,
    contract: Contract | None,
    today: date | None,
) -> PublishResult:
    prepared = _prepare(
        session,
        form_id,
        settings,
        actor=actor,
        force_reason=force_reason,
        progress=progress,
        contract=contract,
        today=today,
    )
    build = prepared.build
    xml = build.xform_path.read_bytes()
    xml_form_id = xform_id(xml)
    server_url = f"{client.base_url}/v1/projects/{client.project_id}"
    md5 = hashlib.md5(xml, usedforsecurity=False).hexdigest()

    progress("locate", f"form {xml_form_id} in project {client.project_id} on {client.base_url}")
    with _step("locate"):
        try:
            form = client.forms.get(xml_form_id)
        except CentralNotFound:
            form = None
    published = form is not None and form.published_at is not None
    same = _last_publication(
        session,
        "central",
        server_url,
        form_id,
        server_form_id=xml_form_id,
        xform_sha256=build.xform_sha256,
    )
    if (
        published
        and same is not None
        and form is not None
        and form.version == same.server_version_id
    ):
        progress("publish", f"unchanged: version {form.version} is live")
        progress("record", f"unchanged: publication #{same.id} still live")
        return PublishResult(
            form_id=form_id,
            version=build.version,
            server="central",
            server_url=server_url,
            server_form_id=xml_form_id,
            server_version_id=same.server_version_id,
            xform_sha256=build.xform_sha256,
            state="unchanged",
            publication_id=same.id,
            forced_reason=prepared.forced_reason,
        )

    response: dict[str, Any] = {}
    attachments = {name: path.read_bytes() for name, path in prepared.attachments.items()}
    if published and form is not None and form.version == build.version and form.hash == md5:
        # An earlier run published this very definition and failed before recording it.
        progress("publish", f"already live as version {form.version}; recording it")
        server_version = build.version
    else:
        need_draft = True
        if form is None:
            progress(
                "create", f"new form {xml_form_id} ({'draft' if attachments else 'published'})"
            )
            with _step("create"):
                try:
                    created = client.forms.create(xml, publish=not attachments)
                    need_draft = False
                    response["created"] = {"version": created.version, "hash": created.hash}
                except CentralDuplicateForm:
                    progress("create", "the form appeared meanwhile: using a draft")
        if need_draft:
            progress("draft", f"new draft of {xml_form_id}")
            with _step("draft"):
                client.forms.create_draft(xml_form_id, xml)
        if attachments:
            for name, content in sorted(attachments.items()):
                progress("attachments", f"{name} ({len(content)} bytes)")
                with _step("attachments"):
                    client.forms.upload_draft_attachment(xml_form_id, name, content)
        if need_draft or attachments:
            server_version = _publish_draft(client, xml_form_id, build.version, progress)
        else:
            server_version = build.version
            progress("publish", f"published as version {server_version}")

    with _step("publish"):
        live = client.forms.get(xml_form_id)
    if live.version != server_version:
        raise PublishError(
            "publish", f"the server reports version {live.version!r}, expected {server_version!r}"
        )
    response.update(
        {
            "xmlFormId": live.xml_form_id,
            "version": live.version,
            "hash": live.hash,
            "publishedAt": live.published_at.isoformat() if live.published_at else None,
            "attachments": sorted(attachments),
        }
    )
    with _step("record"):
        publication = _record(
            session,
            prepared,
            server="central",
            server_url=server_url,
            server_form_id=xml_form_id,
            server_version_id=server_version,
            actor=actor,
            response=response,
        )
    progress("record", f"publication #{publication.id}: {build.version} = {server_version}")
    return PublishResult(
        form_id=form_id,
        version=build.version,
        server="central",
        server_url=server_url,
        server_form_id=xml_form_id,
        server_version_id=server_version,
        xform_sha256=build.xform_sha256,
        state="published",
        publication_id=publication.id,
        forced_reason=prepared.forced_reason,
        media_uploaded=tuple(sorted(attachments)),
    )


def _publish_draft(
    client: CentralClient, xml_form_id: str, version: str, progress: Progress
) -> str:
    """Publish the draft as `version`; on 409.6 (version used before) as `version-N`."""
    candidate = version
    for n in range(2, MAX_VERSION_SUFFIX + 2):
        progress("publish", f"publishing the draft as version {candidate}")
        with _step("publish"):
            try:
                client.forms.publish_draft(xml_form_id, candidate)
                return candidate
            except CentralVersionConflict:
                # Central keeps every version string it ever published; the server's copy
                # of `version` is another definition (a reset database, a manual upload).
                progress("publish", f"version {candidate} was already used on the server (409.6)")
                candidate = f"{version}-{n}"
    raise PublishError("publish", f"no free version string after {MAX_VERSION_SUFFIX} tries")


# -- history ---------------------------------------------------------------------------------------


def list_publications(session: Session, form_id: str) -> list[PublicationRow]:
    """Every publication of form_id, newest first, with who, when and any forced reason."""
    rows = session.execute(
        select(Publication, FormVersion.version)
        .join(FormVersion, Publication.form_version_id == FormVersion.id)
        .where(FormVersion.form_id == form_id)
        .order_by(Publication.published_at.desc(), Publication.id.desc())
    ).all()
    return [
        PublicationRow(
            version=version,
            server=p.server,
            server_url=p.server_url,
            server_form_id=p.server_form_id,
            server_version_id=p.server_version_id,
            status=p.status,
            published_at=p.published_at,
            published_by=p.published_by,
            forced_reason=p.forced_reason,
        )
        for p, version in rows
    ]
