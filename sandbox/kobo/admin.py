"""The sandbox's own endpoints under `/__sandbox__/`: reset, faults, deliveries, seeding.

Fault injection never applies to these paths (see `sandbox.kobo.app.inject_faults`).
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from sandbox.kobo.faults import FaultSpecError, parse_spec, rule_from_json
from sandbox.kobo.forms import structure
from sandbox.kobo.openrosa import finish_doc
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
    """Seed records without XML (no hooks fire), for paging and query tests."""
    asset = get_asset(uid)
    if asset is None or not asset.get("deployed_version_id"):
        return detail(404, "Not found.")
    store = current_sandbox().store
    body = request.get_json(silent=True) or {}
    records = list(body.get("records") or [])
    records += [dict(body.get("answers") or {}) for _ in range(int(body.get("count", 0)))]
    version = store.get("version", asset["deployed_version_id"])
    form = structure(version["form"])
    docs = []
    for answers in records:
        sub_time = answers.pop("_submission_time", None) or submission_time()
        uuid = _random_uuid()
        doc = {
            "formhub/uuid": asset["formhub_uuid"],
            **answers,
            "__version__": asset["deployed_version_id"],
            "meta/instanceID": f"uuid:{uuid}",
        }
        docs.append(
            finish_doc(
                doc,
                asset,
                uuid,
                f"uuid:{uuid}",
                sub_time,
                body.get("submitted_by"),
                form.geopoints,
            )
        )
    ids = store.insert_many(uid, docs)
    return json_response({"ids": ids}, 201)


@bp.get("/__sandbox__/assets/<uid>/xform")
def admin_xform(uid: str) -> Response:
    """The deployed XForm, without OpenRosa auth or headers."""
    asset = get_asset(uid)
    if asset is None or not asset.get("deployed_version_id"):
        return detail(404, "Not found.")
    xform = current_sandbox().store.get("version", asset["deployed_version_id"])["xform"]
    return xml_response(xform)
