"""The sandbox's own endpoints under `/__sandbox__/`: reset, faults, deliveries, pages, seeding.

Fault injection never applies to these paths (see `sandbox.kobo.app.inject_faults`).
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from sandbox.kobo.faults import FaultSpecError, parse_spec, rule_from_json
from sandbox.kobo.forms import structure
from sandbox.kobo.openrosa import finish_doc, fire_hooks
from sandbox.kobo.responses import current_sandbox, detail, json_response, xml_response
from sandbox.kobo.serializers import get_asset
from sandbox.kobo.util import new_hex, submission_time

bp = Blueprint("admin", __name__)


@bp.post("/__sandbox__/reset")
def admin_reset() -> Response:
    """Forget everything: scheduled deliveries, fault rules and stored documents."""
    sb = current_sandbox()
    sb.hooks.clear()
    sb.faults.clear()
    sb.pages.clear()
    sb.store.reset()
    return json_response({"reset": True})


@bp.route("/__sandbox__/faults", methods=["GET", "POST", "DELETE"])
def admin_faults() -> Response:
    """Show the fault rules; POST adds (or `replace`s) rules, DELETE clears them."""
    faults = current_sandbox().faults
    if request.method == "DELETE":
        faults.clear()
    elif request.method == "POST":
        body = request.get_json(silent=True) or {}
        try:
            rules = parse_spec(body.get("spec"))
            rules += [rule_from_json(r) for r in body.get("rules", [])]
        except (FaultSpecError, TypeError) as exc:
            return detail(400, str(exc))
        faults.add(rules, replace=bool(body.get("replace")))
    return json_response({"rules": faults.snapshot()})


@bp.get("/__sandbox__/data/pages")
def admin_pages() -> Response:
    """The data API's pages served (of one `asset` when given), oldest first."""
    return json_response({"pages": current_sandbox().pages.pages(request.args.get("asset"))})


@bp.get("/__sandbox__/hooks/deliveries")
def admin_deliveries() -> Response:
    """Every delivery attempt (optionally of one `hook`), the logs, and whether all is done."""
    sb = current_sandbox()
    attempts = sb.store.children("hook_attempt")
    if request.args.get("hook"):
        attempts = [a for a in attempts if a["hook_uid"] == request.args["hook"]]
    return json_response(
        {"idle": sb.hooks.idle(), "attempts": attempts, "logs": sb.store.children("hook_log")}
    )


@bp.get("/__sandbox__/hooks/idle")
def admin_delivery_idle() -> Response:
    """Whether the dispatcher has no delivery scheduled or in flight: free to poll often."""
    return json_response({"idle": current_sandbox().hooks.idle()})


@bp.get("/__sandbox__/hooks/summary")
def admin_delivery_summary() -> Response:
    """Hook logs counted by status, and whether the dispatcher is idle.

    Counting reads every hook log (27 ms at 11,000, under the store's lock the dispatcher
    needs too): poll /__sandbox__/hooks/idle instead when that is all you need.
    """
    sb = current_sandbox()
    counts = sb.store.count_by("hook_log", "status_str")
    return json_response(
        {"idle": sb.hooks.idle(), "logs": {k.lower(): n for k, n in sorted(counts.items())}}
    )


def _random_uuid() -> str:
    return (
        new_hex()[:8]
        + "-"
        + new_hex()[:4]
        + "-4"
        + new_hex()[:3]
        + "-8"
        + new_hex()[:3]
        + "-"
        + new_hex()[:12]
    )


@bp.post("/__sandbox__/assets/<uid>/submissions")
def admin_bulk(uid: str) -> Response:
    """Seed records without XML; with `"hooks": true` they fire REST Services as new submissions.

    A record may carry its own `meta/instanceID` (and `_submission_time`, `_submitted_by`); one
    whose instance id is already stored is skipped and counted as a duplicate, as kobocat answers
    a re-submission 202 without storing or announcing it. Without `hooks`, nothing fires (paging
    and query tests); with it, each new record is delivered as an OpenRosa submission would be.
    """
    asset = get_asset(uid)
    if asset is None or not asset.get("deployed_version_id"):
        return detail(404, "Not found.")
    sb = current_sandbox()
    store = sb.store
    body = request.get_json(silent=True) or {}
    records = [dict(r) for r in body.get("records") or []]
    records += [dict(body.get("answers") or {}) for _ in range(int(body.get("count", 0)))]
    version = store.get("version", asset["deployed_version_id"])
    geopoints = structure(version["form"]).geopoints
    hooks = store.children("hook", uid) if body.get("hooks") else []
    ids: list[int] = []
    logs: list[str] = []
    duplicates = 0
    with store.transaction():
        for answers in records:
            given = answers.pop("meta/instanceID", None)
            uuid = given.removeprefix("uuid:") if given else _random_uuid()
            if given and (
                store.find_current(uid, uuid) is not None
                or store.find_replaced(uid, uuid) is not None
            ):
                duplicates += 1
                continue
            sub_time = answers.pop("_submission_time", None) or submission_time()
            user = answers.pop("_submitted_by", None) or body.get("submitted_by")
            doc = {
                "formhub/uuid": asset["formhub_uuid"],
                **answers,
                "__version__": asset["deployed_version_id"],
                "meta/instanceID": f"uuid:{uuid}",
            }
            finish_doc(doc, asset, uuid, f"uuid:{uuid}", sub_time, user, geopoints)
            sub_id = store.insert_submission(uid, uuid, doc, None)
            ids.append(sub_id)
            if hooks:
                logs += fire_hooks(uid, sub_id, hooks)
    for log_uid in logs:
        sb.hooks.enqueue(log_uid)
    return json_response({"ids": ids, "duplicates": duplicates}, 201)


@bp.get("/__sandbox__/assets/<uid>/xform")
def admin_xform(uid: str) -> Response:
    """The deployed XForm, without OpenRosa auth or headers."""
    asset = get_asset(uid)
    if asset is None or not asset.get("deployed_version_id"):
        return detail(404, "Not found.")
    xform = current_sandbox().store.get("version", asset["deployed_version_id"])["xform"]
    return xml_response(xform)
