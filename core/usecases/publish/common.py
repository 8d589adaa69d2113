"""What both publishers share: build and contract check first, then record and audit the outcome.

`run_publish` is the frame of every publish: `prepare` (build, validate, contract check), then the
server's own steps with a `Publishing` that carries the build, reports progress and records the
result, and an audit row whether the publish was refused, failed or done.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Required, TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.domain.forms.contract import Contract
from core.domain.forms.errors import ContractError, FormBuildError, FormLintError
from core.domain.network import unreachable_webhook
from core.store.models import FormVersion, Publication
from core.usecases.build import BuildResult, build_form, write_attachments
from core.usecases.publish.contract_check import check_contract, form_contract
from core.usecases.publish.errors import ContractBreak, PublishError, step
from core.usecases.publish.records import audit, last_publication, record_publication

if TYPE_CHECKING:
    from config.settings import Settings

Progress = Callable[[str, str], None]


def noop(name: str, detail: str) -> None:
    """A progress report that reports nothing."""
    return None


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
    # With the build already live: each media file replaced, e.g. "imp.csv replaced (3 -> 4 rows)"
    media_changes: tuple[str, ...] = ()
    hook: str | None = None  # created | updated | unchanged (Kobo only)
    warnings: tuple[str, ...] = ()

    @property
    def unchanged(self) -> bool:
        """The server already had this build live; no new server version was made."""
        return self.state == "unchanged"


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
        elif loopback := unreachable_webhook(settings.public_url, settings.kobo_url):
            missing.append(loopback)
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


# -- before the server: build and contract check --------------------------------------------------


@dataclass
class Prepared:
    """A form built, validated and checked against stored submissions, ready to publish."""

    form_id: str
    actor: str
    build: BuildResult
    form_version: FormVersion
    title: str
    forced_reason: str | None
    attachments: dict[str, Path] = field(default_factory=dict)


def prepare(
    session: Session,
    form_id: str,
    settings: Settings,
    *,
    actor: str,
    force_reason: str | None,
    progress: Progress,
    contract: Contract | None,
    today: date | None,
) -> Prepared:
    """Build and validate form_id, then check its contract against stored submissions."""
    progress("build", f"{form_id}: lint, convert, ODK Validate")
    try:
        contract = contract or form_contract(settings)
        form_c = contract.form(form_id)
    except ContractError as exc:
        raise PublishError("build", str(exc)) from exc
    build, media = _build(session, form_id, settings, contract, actor=actor, today=today)
    state = "new version" if build.new_version else "unchanged since last build"
    progress("build", f"version {build.version} ({state}), xform sha256 {build.xform_sha256[:12]}")
    form_version = session.scalars(
        select(FormVersion).where(
            FormVersion.form_id == form_id, FormVersion.version == build.version
        )
    ).one()
    forced = _check(session, form_id, form_c.to_json(), force_reason, progress)
    attachments = _attachments(build, media, Path(settings.build_dir))
    title = form_c.title or form_id
    return Prepared(form_id, actor, build, form_version, title, forced, attachments)


def _build(
    session: Session,
    form_id: str,
    settings: Settings,
    contract: Contract,
    *,
    actor: str,
    today: date | None,
) -> tuple[BuildResult, dict[str, Path]]:
    """Write the form media and build the form; every failure is the `build` step's."""
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
    return build, media


def _check(
    session: Session,
    form_id: str,
    new_contract: dict[str, Any],
    force_reason: str | None,
    progress: Progress,
) -> str | None:
    """Run the contract check, reporting it; return the reason it was forced with, if it was."""
    progress("contract", "comparing with the version stored submissions were made with")
    changes, forced = check_contract(session, form_id, new_contract, force_reason)
    if changes:
        progress(
            "contract",
            "FORCED past: " + "; ".join(c.format() for c in changes) + f" (reason: {forced})",
        )
    else:
        progress("contract", "ok")
    return forced


def _attachments(build: BuildResult, media: dict[str, Path], out_dir: Path) -> dict[str, Path]:
    """The local file of each media file the form uses."""
    attachments: dict[str, Path] = {}
    for name in build.attachments:
        local = media.get(name) or out_dir / name
        if not local.exists():
            raise PublishError("build", f"form media {name} was not produced in {out_dir}")
        attachments[name] = local
    return attachments


# -- on the server: one publish under way, and its outcome ----------------------------------------


@dataclass
class Publishing:
    """One publish under way: the prepared build, where it goes, and what the server answered."""

    session: Session
    settings: Settings
    prepared: Prepared
    progress: Progress
    server: str
    server_url: str
    response: dict[str, Any] = field(default_factory=dict)

    def last_publication(
        self, *, server_form_id: str | None = None, xform_sha256: str | None = None
    ) -> Publication | None:
        """The newest live publication of this form on this server (optionally of that build)."""
        return last_publication(
            self.session,
            self.server,
            self.server_url,
            self.prepared.form_id,
            server_form_id=server_form_id,
            xform_sha256=xform_sha256,
        )

    def unchanged(self, same: Publication, server_form_id: str, **extra: Any) -> PublishResult:
        """The result when the server already serves this build as publication `same`."""
        self.progress("record", f"unchanged: publication #{same.id} still live")
        return self._result(server_form_id, same.server_version_id, "unchanged", same.id, **extra)

    def published(
        self, server_form_id: str, server_version_id: str | None, **extra: Any
    ) -> PublishResult:
        """Record the build as live on the server (a Publication row) and return the result."""
        with step("record"):
            publication = record_publication(
                self.session,
                self.prepared.form_version,
                server=self.server,
                server_url=self.server_url,
                server_form_id=server_form_id,
                server_version_id=server_version_id,
                actor=self.prepared.actor,
                forced_reason=self.prepared.forced_reason,
                response=self.response,
            )
        version = self.prepared.build.version
        self.progress("record", f"publication #{publication.id}: {version} = {server_version_id}")
        return self._result(server_form_id, server_version_id, "published", publication.id, **extra)

    def _result(
        self,
        server_form_id: str,
        server_version_id: str | None,
        state: str,
        publication_id: int | None,
        **extra: Any,
    ) -> PublishResult:
        return PublishResult(
            form_id=self.prepared.form_id,
            version=self.prepared.build.version,
            server=self.server,
            server_url=self.server_url,
            server_form_id=server_form_id,
            server_version_id=server_version_id,
            xform_sha256=self.prepared.build.xform_sha256,
            state=state,
            publication_id=publication_id,
            forced_reason=self.prepared.forced_reason,
            **extra,
        )


class PublishOptions(TypedDict, total=False):
    """What every publish takes besides the server's client: who, why forced, how reported."""

    actor: Required[str]
    force_reason: str | None  # publish past a contract break, recorded with the publication
    progress: Progress | None  # called as progress(step, detail)
    contract: Contract | None  # default: form_contract(settings)
    today: date | None  # the build date in the version string


def run_publish(
    session: Session,
    form_id: str,
    settings: Settings,
    server: str,
    server_url: str,
    steps: Callable[[Publishing], PublishResult],
    *,
    actor: str,
    force_reason: str | None = None,
    progress: Progress | None = None,
    contract: Contract | None = None,
    today: date | None = None,
) -> PublishResult:
    """Prepare form_id, let `steps` do the server's part, and audit what came of it.

    A refusal or a failed step is audited and raised again.
    """
    report = progress or noop
    try:
        prepared = prepare(
            session,
            form_id,
            settings,
            actor=actor,
            force_reason=force_reason,
            progress=report,
            contract=contract,
            today=today,
        )
        result = steps(Publishing(session, settings, prepared, report, server, server_url))
    except PublishError as exc:
        _audit_failure(session, exc, actor=actor, server=server, form_id=form_id)
        raise
    detail = {
        "version": result.version,
        "state": result.state,
        "server_form_id": result.server_form_id,
        "server_version_id": result.server_version_id,
        "xform_sha256": result.xform_sha256,
        "forced_reason": result.forced_reason,
    }
    audit(session, actor, "form.publish", server, form_id, detail)
    return result


def _audit_failure(
    session: Session, exc: PublishError, *, actor: str, server: str, form_id: str
) -> None:
    """Audit a refused (contract break) or failed publish."""
    if isinstance(exc, ContractBreak):
        detail = {"against": exc.against, "changes": [c.format() for c in exc.changes]}
        audit(session, actor, "form.publish_refused", server, form_id, detail)
    else:
        detail = {"step": exc.step, "reason": exc.reason[:2000]}
        audit(session, actor, "form.publish_failed", server, form_id, detail)
