"""Kobocat's OpenRosa endpoints: `/submission`, `/formList` and `form.xml`."""

from __future__ import annotations

import hashlib
from xml.sax.saxutils import escape

from flask import Blueprint, Response, request

from sandbox.kobo.auth import challenge, openrosa_user
from sandbox.kobo.forms import structure
from sandbox.kobo.hooks import new_log
from sandbox.kobo.instance import InstanceError, geolocation, parse_instance, question_xpath
from sandbox.kobo.responses import (
    OPENROSA_HEADERS,
    base_url,
    current_sandbox,
    detail,
    openrosa_response,
    xml_response,
)
from sandbox.kobo.serializers import asset_url, get_asset
from sandbox.kobo.util import new_hex, new_uid, submission_time

bp = Blueprint("openrosa", __name__)

Upload = tuple[str, str, bytes]  # filename, mimetype, content


def deployed_assets() -> list[dict]:
    """Every survey that has a deployment (active or archived)."""
    return [
        a
        for a in current_sandbox().store.children("asset")
        if a["asset_type"] == "survey" and a.get("deployed_version_id")
    ]


def find_asset_for(formhub_uuid: str | None, form_id: str | None) -> dict | None:
    """The deployed asset a submission is for."""
    assets = deployed_assets()
    # kobocat looks the form up by formhub/uuid first, then by the root's id attribute.
    if formhub_uuid:
        for a in assets:
            if a["formhub_uuid"] == formhub_uuid:
                return a
    return next((a for a in assets if a["uid"] == form_id), None)


def build_attachments(
    doc: dict, asset: dict, uuid: str, sub_id: int, uploads: list[Upload]
) -> list[dict]:
    """Store uploaded files and describe them as `_attachments` entries."""
    store = current_sandbox().store
    out = []
    for filename, mimetype, content in uploads:
        auid = new_uid("att")
        store.put_blob("att:" + auid, content)
        out.append(
            {
                "download_url": f"{asset_url(asset['uid'])}data/{sub_id}/attachments/{auid}/",
                "mimetype": mimetype,
                "filename": f"{asset['owner']}/attachments/{asset['formhub_uuid']}/{uuid}/"
                f"{filename}",
                "media_file_basename": filename,
                "uid": auid,
                "is_deleted": False,
                "question_xpath": question_xpath(doc, filename),
            }
        )
    return out


def finish_doc(
    doc: dict,
    asset: dict,
    uuid: str,
    root_uuid: str,
    sub_time: str,
    user: str | None,
    geopoints: list[str],
) -> dict:
    """Add the system fields kobocat stores with every record, in the order kpi answers them.

    `_id` comes first, then the answers (with `formhub/uuid` when the XML had it; kpi adds none),
    then `_xform_id_string`, `_uuid`, `meta/rootUuid` and the other underscore fields.
    """
    answers = dict(doc)
    doc.clear()
    doc["_id"] = None
    doc.update(answers)
    doc["_xform_id_string"] = asset["uid"]
    doc["_uuid"] = uuid
    doc["meta/rootUuid"] = root_uuid
    doc["_attachments"] = []
    doc["_status"] = "submitted_via_web"
    doc["_geolocation"] = geolocation(doc, geopoints)
    doc["_submission_time"] = sub_time
    doc["_validation_status"] = {}
    doc["_submitted_by"] = user
    return doc


def fire_hooks(asset_uid: str, sub_id: int, hooks: list[dict] | None = None) -> list[str]:
    """Create a pending log per active hook; returns their uids to enqueue after commit.

    `hooks` are the asset's hooks when the caller already read them (a bulk seed).
    """
    store = current_sandbox().store
    logs = []
    for hook in store.children("hook", asset_uid) if hooks is None else hooks:
        if hook["active"]:
            log = new_log(hook["uid"], sub_id)
            store.put("hook_log", log["uid"], log, parent=hook["uid"])
            logs.append(log["uid"])
    return logs


@bp.route("/submission", methods=["HEAD", "GET", "POST"])
@bp.route("/<username>/submission", methods=["HEAD", "GET", "POST"])
def submission(username: str | None = None) -> Response:
    """Kobocat's submission endpoint: HEAD/GET probe, POST a multipart instance."""
    user = openrosa_user()
    if user is None:
        return challenge()
    if username is not None and username != current_sandbox().config.owner:
        return openrosa_response(404, f"User {username} does not exist")
    if request.method in ("HEAD", "GET"):
        resp = openrosa_response(204, "")
        resp.headers["Location"] = request.url
        return resp
    upload = request.files.get("xml_submission_file")
    if upload is None:
        return openrosa_response(400, "No XML submission file.")
    xml = upload.read()
    uploads = [
        (f.filename or name, f.mimetype or "application/octet-stream", f.read())
        for name, f in request.files.items(multi=True)
        if name != "xml_submission_file"
    ]
    try:
        probe = parse_instance(xml, set())
    except InstanceError as exc:
        return openrosa_response(400, f"Improperly formatted XML: {exc}")
    asset = find_asset_for(probe.data.get("formhub/uuid"), probe.form_id)
    if asset is None:
        return openrosa_response(404, "Form does not exist on this account")
    if not asset.get("deployment_active"):
        return openrosa_response(405, "Form is not active")
    return receive(asset, probe.data.get("__version__"), xml, uploads, user)


def receive(
    asset: dict, version_uid: str | None, xml: bytes, uploads: list[Upload], user: str
) -> Response:
    """Store an instance for an active asset: a new record, a duplicate (202) or an edit."""
    sb = current_sandbox()
    store = sb.store
    versions = set(asset["versions"])
    version = store.get(
        "version", version_uid if version_uid in versions else asset["deployed_version_id"]
    )
    form = structure(version["form"])
    doc = parse_instance(xml, form.repeats).data
    instance_id = doc.get("meta/instanceID") or f"uuid:{new_hex()}"
    doc.setdefault("meta/instanceID", instance_id)
    uuid = instance_id.removeprefix("uuid:")
    deprecated = doc.get("meta/deprecatedID")
    hook_logs_created: list[str] = []
    with store.transaction():
        current = store.find_current(asset["uid"], uuid)
        if current is not None or store.find_replaced(asset["uid"], uuid) is not None:
            if current is not None and uploads:
                _add_new_attachments(current, asset, uuid, uploads)
            return openrosa_response(202, "Duplicate Instance")  # kobo.md: the text kpi sends
        if deprecated:
            refused = _edit(doc, asset, uuid, deprecated, xml, uploads, form.geopoints)
            if refused is not None:
                return refused
        else:
            finish_doc(
                doc,
                asset,
                uuid,
                doc.get("meta/rootUuid") or instance_id,
                submission_time(),
                user,
                form.geopoints,
            )
            sub_id = store.insert_submission(asset["uid"], uuid, doc, xml)
            if uploads:
                doc["_attachments"] = build_attachments(doc, asset, uuid, sub_id, uploads)
                store.update_submission(sub_id, uuid, doc, xml)
            hook_logs_created = fire_hooks(asset["uid"], sub_id)
    for log_uid in hook_logs_created:
        sb.hooks.enqueue(log_uid)
    meta = (
        '<submissionMetadata xmlns="http://www.opendatakit.org/xforms" '
        f'id="{asset["uid"]}" instanceID="{escape(instance_id)}" '
        f'submissionDate="{doc["_submission_time"]}" isComplete="true" '
        f'markedAsCompleteDate="{doc["_submission_time"]}"/>'
    )
    return openrosa_response(201, "Successful submission.", "submit_success", meta)


def _add_new_attachments(current: dict, asset: dict, uuid: str, uploads: list[Upload]) -> None:
    # A resubmission that adds attachments stores them but is still a 202.
    store = current_sandbox().store
    have = {a["media_file_basename"] for a in current["_attachments"]}
    new = [u for u in uploads if u[0] not in have]
    if new:
        current["_attachments"] += build_attachments(current, asset, uuid, current["_id"], new)
        store.update_submission(
            current["_id"], uuid, current, store.get_submission_xml(current["_id"])
        )


def _edit(
    doc: dict,
    asset: dict,
    uuid: str,
    deprecated: str,
    xml: bytes,
    uploads: list[Upload],
    geopoints: list[str],
) -> Response | None:
    """Replace the record `deprecated` names; the refusal when it is unknown or replaced."""
    store = current_sandbox().store
    old_uuid = deprecated.removeprefix("uuid:")
    old = store.find_current(asset["uid"], old_uuid)
    if old is None:
        if store.find_replaced(asset["uid"], old_uuid) is not None:
            return openrosa_response(
                410,
                "The submission you are trying to edit has been replaced by a newer version",
            )
        return openrosa_response(404, "The submission you are trying to edit does not exist")
    finish_doc(
        doc,
        asset,
        uuid,
        old["meta/rootUuid"],
        old["_submission_time"],
        old["_submitted_by"],
        geopoints,
    )
    doc["_id"] = old["_id"]
    kept = {u[0] for u in uploads}
    doc["_attachments"] = [a for a in old["_attachments"] if a["media_file_basename"] not in kept]
    doc["_attachments"] += build_attachments(doc, asset, uuid, old["_id"], uploads)
    store.update_submission(old["_id"], uuid, doc, xml)
    store.mark_replaced(asset["uid"], old_uuid, old["_id"])
    return None


@bp.get("/formList")
@bp.get("/<username>/formList")
def form_list(username: str | None = None) -> Response:
    """The active deployed forms, with the MD5 OpenRosa clients compare."""
    if openrosa_user() is None:
        return challenge()
    store = current_sandbox().store
    items = []
    for a in deployed_assets():
        if not a.get("deployment_active"):
            continue
        xform = store.get("version", a["deployed_version_id"])["xform"]
        md5 = hashlib.md5(xform.encode()).hexdigest()
        items.append(
            f"<xform><formID>{a['uid']}</formID><name>{escape(a['name'])}</name>"
            f"<hash>md5:{md5}</hash>"
            f"<downloadUrl>{base_url()}/{a['owner']}/forms/{a['uid']}/form.xml</downloadUrl>"
            "</xform>"
        )
    body = '<xforms xmlns="http://openrosa.org/xforms/xformsList">' + "".join(items) + "</xforms>"
    return xml_response(body, OPENROSA_HEADERS)


@bp.get("/forms/<uid>/form.xml")
@bp.get("/<username>/forms/<uid>/form.xml")
def form_xml(uid: str, username: str | None = None) -> Response:
    """The deployed version's XForm."""
    if openrosa_user() is None:
        return challenge()
    asset = get_asset(uid)
    if asset is None or not asset.get("deployed_version_id"):
        return detail(404, "Not found.")
    xform = current_sandbox().store.get("version", asset["deployed_version_id"])["xform"]
    return xml_response(xform, OPENROSA_HEADERS)
