"""`forms publish --dry-run`: what a publish would change, found by reading only.

The build goes to a temporary folder and its rows stay in the caller's session, which the
caller rolls back; the server is only read (GET): which asset or form holds ours, whether
this build is live, which media files differ (by MD5, with their rows), and, on Kobo, whether
the REST Service hook would be created or updated.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from core.clients.central import CentralClient, CentralNotFound
from core.clients.kobo import Asset, KoboClient
from core.usecases.publish.central import _media_changes, xform_id
from core.usecases.publish.common import Prepared, Publishing, noop, prepare
from core.usecases.publish.errors import ContractBreak, step
from core.usecases.publish.kobo import HOOK_NAME, _find_asset, _live_publication, hook_spec
from core.usecases.publish.media import change, md5_hex

if TYPE_CHECKING:
    from config.settings import Settings


@dataclass
class Plan:
    """A publish not done: the version it would send and, step by step, what would change."""

    form_id: str
    server: str
    version: str = ""
    changes: list[tuple[str, str]] = field(default_factory=list)  # (step, what would happen)
    refused: str | None = None  # why the publish would be refused (a contract break)

    def add(self, step_name: str, detail: str) -> None:
        """Note what one step would do."""
        self.changes.append((step_name, detail))


def plan_publish(
    session: Session,
    client: KoboClient | CentralClient,
    form_id: str,
    settings: Settings,
    *,
    actor: str,
    force_reason: str | None = None,
    today: date | None = None,
) -> Plan:
    """What publishing form_id with this client would change; writes nothing the caller keeps."""
    server = "central" if isinstance(client, CentralClient) else "kobo"
    plan = Plan(form_id, server)
    with tempfile.TemporaryDirectory(prefix="pantau-dry-run-") as tmp:
        dry = settings.model_copy(update={"build_dir": Path(tmp)})
        try:
            prepared = prepare(
                session,
                form_id,
                dry,
                actor=actor,
                force_reason=force_reason,
                progress=noop,
                contract=None,
                today=today,
            )
        except ContractBreak as exc:
            plan.refused = exc.reason
            return plan
        plan.version = prepared.build.version
        state = "a new build" if prepared.build.new_version else "the same build as the last"
        plan.add("build", f"version {plan.version} ({state})")
        if isinstance(client, CentralClient):
            _plan_central(plan, session, dry, prepared, client)
        else:
            _plan_kobo(plan, session, dry, prepared, client)
    return plan


def _plan_kobo(
    plan: Plan, session: Session, settings: Settings, prepared: Prepared, client: KoboClient
) -> None:
    run = Publishing(session, settings, prepared, noop, "kobo", client.base_url)
    with step("locate"):
        asset, _ = _find_asset(run, client)
    live = _live_publication(run, asset)
    if asset is None:
        plan.add("form", f"a new asset with version {plan.version}, deployed")
    elif live is not None:
        plan.add("form", f"unchanged: asset {asset.uid} serves it ({asset.deployed_version_id})")
    elif asset.version_id and asset.form_version == plan.version:
        plan.add("form", f"asset {asset.uid} holds {plan.version} already: it would be deployed")
    else:
        plan.add("form", f"asset {asset.uid}: new version {plan.version}, deployed")
    with step("media"):
        _plan_kobo_media(plan, client, asset, prepared.attachments)
    with step("hook"):
        spec = hook_spec(settings)
        hooks = client.hooks.list(asset.uid) if asset is not None else []
        ours = next((h for h in hooks if h.name == HOOK_NAME), None)
        if ours is None:
            plan.add("hook", f"REST Service {HOOK_NAME!r} created -> {spec.endpoint}")
        elif ours.matches(spec):
            plan.add("hook", f"unchanged ({ours.endpoint})")
        else:
            plan.add("hook", f"updated: {ours.endpoint} -> {spec.endpoint}")


def _plan_kobo_media(
    plan: Plan, client: KoboClient, asset: Asset | None, attachments: dict[str, Path]
) -> None:
    files = client.files.list(asset.uid) if asset is not None else []
    by_name = {f.filename: f for f in files}
    for name, path in sorted(attachments.items()):
        content = path.read_bytes()
        there = by_name.get(name)
        if there is not None and there.hash == "md5:" + md5_hex(content):
            plan.add("media", f"{name} unchanged")
            continue
        old = client.files.content(asset.uid, there.uid) if asset and there else None
        plan.add("media", change(name, old, content, replaced=there is not None).describe())


def _plan_central(
    plan: Plan, session: Session, settings: Settings, prepared: Prepared, client: CentralClient
) -> None:
    server_url = f"{client.base_url}/v1/projects/{client.project_id}"  # as publish_to_central
    run = Publishing(session, settings, prepared, noop, "central", server_url)
    xml_form_id = xform_id(prepared.build.xform_path.read_bytes())
    with step("locate"):
        try:
            form = client.forms.get(xml_form_id)
        except CentralNotFound:
            form = None
    attachments = {name: path.read_bytes() for name, path in prepared.attachments.items()}
    if form is None or form.published_at is None:
        plan.add("form", f"form {xml_form_id}: version {plan.version} published (new form)")
        plan.add("media", ", ".join(sorted(attachments)) or "none")
        return
    same = run.last_publication(
        server_form_id=xml_form_id, xform_sha256=prepared.build.xform_sha256
    )
    if same is None or form.version != same.server_version_id:
        plan.add("form", f"form {xml_form_id}: version {plan.version} (live: {form.version})")
        plan.add("media", ", ".join(sorted(attachments)) or "none")
        return
    plan.add("form", f"unchanged: {xml_form_id} serves it as {form.version}")
    with step("media"):
        changes = _media_changes(client, xml_form_id, attachments)
    for item in changes:
        plan.add("media", f"{item.describe()} (as a new version string after {form.version})")
    if not changes:
        plan.add("media", "unchanged")
