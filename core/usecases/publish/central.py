"""Publish to ODK Central: create or draft the form, attach its CSVs, publish, record.

Central has no webhooks (submissions are pulled), so publishing is the whole job here. A re-run
that finds this very definition live records it instead of publishing it again, and sends only
the media files that changed since (a new IMP list), if any.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET  # only our own build output  # nosec B405
from functools import partial
from typing import TYPE_CHECKING, Unpack

from sqlalchemy.orm import Session

from core.clients.central import (
    CentralClient,
    CentralDuplicateForm,
    CentralNotFound,
    CentralVersionConflict,
)
from core.store.models import Publication
from core.usecases.publish.common import Publishing, PublishOptions, PublishResult, run_publish
from core.usecases.publish.errors import PublishError, step
from core.usecases.publish.media import MediaChange, change, md5_hex

if TYPE_CHECKING:
    from config.settings import Settings

# Central refuses to publish a version string twice (409.6); how many suffixes to try.
MAX_VERSION_SUFFIX = 20


def xform_id(xform: bytes) -> str:
    """The `id` of the XForm's primary instance (Central's xmlFormId)."""
    # Our own build output, not server XML: the standard parser is fine here.
    root = ET.fromstring(xform)  # noqa: S314  # nosec B314
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
    **options: Unpack[PublishOptions],
) -> PublishResult:
    """Build, check the contract, and publish the XForm with its CSVs on ODK Central."""
    server_url = f"{client.base_url}/v1/projects/{client.project_id}"
    steps = partial(_publish_central, client=client)
    return run_publish(session, form_id, settings, "central", server_url, steps, **options)


def _publish_central(run: Publishing, *, client: CentralClient) -> PublishResult:
    """The Central steps, in order: locate, create or draft, attachments, publish, record."""
    build = run.prepared.build
    xml = build.xform_path.read_bytes()
    xml_form_id = xform_id(xml)
    run.progress(
        "locate", f"form {xml_form_id} in project {client.project_id} on {client.base_url}"
    )
    with step("locate"):
        try:
            form = client.forms.get(xml_form_id)
        except CentralNotFound:
            form = None
    published = form is not None and form.published_at is not None
    same = run.last_publication(server_form_id=xml_form_id, xform_sha256=build.xform_sha256)
    attachments = {name: path.read_bytes() for name, path in run.prepared.attachments.items()}
    if (
        published
        and same is not None
        and form is not None
        and form.version == same.server_version_id
    ):
        return _send_media_only(run, client, xml_form_id, form.version, same, attachments)

    md5 = md5_hex(xml)
    if published and form is not None and form.version == build.version and form.hash == md5:
        # An earlier run published this very definition and failed before recording it.
        run.progress("publish", f"already live as version {form.version}; recording it")
        server_version = build.version
    else:
        server_version = _publish_new(
            run, client, xml, xml_form_id, new_form=form is None, attachments=attachments
        )

    _confirm_live(run, client, xml_form_id, server_version, attachments)
    return run.published(xml_form_id, server_version, media_uploaded=tuple(sorted(attachments)))


def _send_media_only(
    run: Publishing,
    client: CentralClient,
    xml_form_id: str,
    live_version: str,
    same: Publication,
    attachments: dict[str, bytes],
) -> PublishResult:
    """Send the media files that changed (after an IMP import) while the build stays live.

    Central keeps a published definition's attachments fixed: new media go in a draft of the
    live definition, and that draft needs a version string never published before (409.6),
    so `V-2`, `V-3`... Our form version stays the same; only Central's version string moves.
    """
    run.progress("publish", f"version {live_version} is live")
    with step("media"):
        changes = _media_changes(client, xml_form_id, attachments)
    if not changes:
        run.progress("media", "unchanged")
        return run.unchanged(same, xml_form_id)
    for item in changes:
        run.progress("media", item.describe())
    run.progress("draft", f"new draft of {xml_form_id}: the live definition with new media")
    with step("draft"):
        client.forms.create_draft(xml_form_id)  # no body: a copy, attachments carried over
    for item in changes:
        with step("attachments"):
            client.forms.upload_draft_attachment(xml_form_id, item.name, attachments[item.name])
    version = run.prepared.build.version
    server_version = _publish_draft(
        run, client, xml_form_id, version, first=_next_suffix(live_version, version)
    )
    _confirm_live(run, client, xml_form_id, server_version, attachments)
    described = tuple(c.describe() for c in changes)
    run.response["media_changes"] = list(described)
    return run.published(
        xml_form_id,
        server_version,
        media_uploaded=tuple(c.name for c in changes),
        media_changes=described,
    )


def _media_changes(
    client: CentralClient, xml_form_id: str, attachments: dict[str, bytes]
) -> list[MediaChange]:
    """The files whose content differs from the live definition's (by Central's MD5)."""
    on_server = {a.name: a for a in client.forms.attachments(xml_form_id)}
    changes: list[MediaChange] = []
    for name, content in sorted(attachments.items()):
        current = on_server.get(name)
        there = current is not None and current.exists
        if there and current is not None and current.hash == md5_hex(content):
            continue
        old = client.forms.download_attachment(xml_form_id, name) if there else None
        if old == content:  # a server that reports no hash
            continue
        changes.append(change(name, old, content, replaced=there))
    return changes


def _next_suffix(live_version: str, version: str) -> int:
    """The first suffix to try after `live_version` (`V` -> 2, `V-3` -> 4)."""
    head, _, tail = live_version.rpartition("-")
    return int(tail) + 1 if head == version and tail.isdigit() else 2


def _confirm_live(
    run: Publishing,
    client: CentralClient,
    xml_form_id: str,
    server_version: str,
    attachments: dict[str, bytes],
) -> None:
    """Check that the server serves `server_version` now, and keep what it says of the form."""
    with step("publish"):
        live = client.forms.get(xml_form_id)
    if live.version != server_version:
        raise PublishError(
            "publish", f"the server reports version {live.version!r}, expected {server_version!r}"
        )
    run.response.update(
        {
            "xmlFormId": live.xml_form_id,
            "version": live.version,
            "hash": live.hash,
            "publishedAt": live.published_at.isoformat() if live.published_at else None,
            "attachments": sorted(attachments),
        }
    )


def _publish_new(
    run: Publishing,
    client: CentralClient,
    xml: bytes,
    xml_form_id: str,
    *,
    new_form: bool,
    attachments: dict[str, bytes],
) -> str:
    """Create the form or a new draft of it, attach the CSVs, publish; return the version."""
    progress = run.progress
    need_draft = True
    if new_form:
        need_draft = _create(run, client, xml, xml_form_id, publish=not attachments)
    if need_draft:
        progress("draft", f"new draft of {xml_form_id}")
        with step("draft"):
            client.forms.create_draft(xml_form_id, xml)
    for name, content in sorted(attachments.items()):
        progress("attachments", f"{name} ({len(content)} bytes)")
        with step("attachments"):
            client.forms.upload_draft_attachment(xml_form_id, name, content)
    version = run.prepared.build.version
    if need_draft or attachments:
        return _publish_draft(run, client, xml_form_id, version)
    progress("publish", f"published as version {version}")
    return version


def _create(
    run: Publishing, client: CentralClient, xml: bytes, xml_form_id: str, *, publish: bool
) -> bool:
    """Create the form (published at once when it has no attachments); True if a draft is due."""
    run.progress("create", f"new form {xml_form_id} ({'published' if publish else 'draft'})")
    with step("create"):
        try:
            created = client.forms.create(xml, publish=publish)
        except CentralDuplicateForm:
            run.progress("create", "the form appeared meanwhile: using a draft")
            return True
    run.response["created"] = {"version": created.version, "hash": created.hash}
    return False


def _publish_draft(
    run: Publishing, client: CentralClient, xml_form_id: str, version: str, *, first: int = 1
) -> str:
    """Publish the draft as `version` (or `version-<first>`); on 409.6 try the next suffix."""
    progress = run.progress
    for n in range(first, first + MAX_VERSION_SUFFIX + 1):
        candidate = version if n == 1 else f"{version}-{n}"
        progress("publish", f"publishing the draft as version {candidate}")
        with step("publish"):
            try:
                client.forms.publish_draft(xml_form_id, candidate)
                return candidate
            except CentralVersionConflict:
                # Central keeps every version string it ever published; the server's copy
                # of `version` is another definition (a reset database, a manual upload).
                progress("publish", f"version {candidate} was already used on the server (409.6)")
    raise PublishError("publish", f"no free version string after {MAX_VERSION_SUFFIX} tries")
