"""Kpi's REST Services: `/api/v2/assets/<uid>/hooks/`, their logs and retries.

Delivery itself is `sandbox.kobo.hooks.HookDispatcher`; this module is only the API.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask import Blueprint, Response, request

from sandbox.kobo.auth import need_api
from sandbox.kobo.hooks import FAILED, PENDING, STATUS_STR
from sandbox.kobo.responses import current_sandbox, detail, json_response, page, truthy
from sandbox.kobo.serializers import get_asset, hook_json, log_json
from sandbox.kobo.util import iso_time, new_uid

bp = Blueprint("hooks", __name__)

# kpi retries a log only this long after its last change (HOOK_STALLED_PENDING_TIMEOUT).
STALLED_SECONDS = 120

HOOK_FIELDS = (
    "name",
    "endpoint",
    "active",
    "export_type",
    "auth_level",
    "settings",
    "email_notification",
    "subset_fields",
    "payload_template",
)


def validate_hook(doc: dict, partial: bool) -> dict[str, list[str]]:
    """DRF-style field errors of a hook body (`partial` for PATCH)."""
    errors: dict[str, list[str]] = {}
    for required in ("name", "endpoint"):
        if not partial and not doc.get(required):
            errors[required] = ["This field is required."]
    if doc.get("export_type", "json") not in ("json", "xml"):
        errors["export_type"] = [f'"{doc["export_type"]}" is not a valid choice.']
    if doc.get("auth_level", "no_auth") not in ("no_auth", "basic_auth"):
        errors["auth_level"] = [f'"{doc["auth_level"]}" is not a valid choice.']
    endpoint = doc.get("endpoint")
    if endpoint and not re.match(r"^https?://", str(endpoint)):
        errors["endpoint"] = ["Enter a valid URL."]
    if "settings" in doc and not isinstance(doc["settings"], dict):
        errors["settings"] = ["Must be a JSON object."]
    if "subset_fields" in doc and not isinstance(doc["subset_fields"], list):
        errors["subset_fields"] = ['Expected a list of items but got type "str".']
    return errors


def get_hook(uid: str, huid: str) -> dict | None:
    """The hook `huid` if it belongs to asset `uid`."""
    hook = current_sandbox().store.get("hook", huid)
    return hook if hook is not None and hook["asset"] == uid else None


def get_hook_log(uid: str, huid: str, luid: str) -> tuple[dict, dict] | None:
    """The hook and its log `luid`, if both exist and belong together."""
    hook = get_hook(uid, huid)
    log = current_sandbox().store.get("hook_log", luid)
    if hook is None or log is None or log["hook_uid"] != huid:
        return None
    return hook, log


@bp.route("/api/v2/assets/<uid>/hooks/", methods=["GET", "POST"])
@need_api()
def hooks(uid: str) -> Response:
    """List the asset's hooks (GET) or create one (POST)."""
    asset = get_asset(uid)
    if asset is None:
        return detail(404, "Not found.")
    store = current_sandbox().store
    if request.method == "GET":
        return page([hook_json(h) for h in store.children("hook", uid)])
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return detail(400, "JSON parse error")
    errors = validate_hook(body, partial=False)
    if errors:
        return json_response(errors, 400)
    hook = {
        "uid": new_uid("h"),
        "asset": uid,
        "asset_id": asset.get("pk", 0),
        "name": body["name"],
        "endpoint": body["endpoint"],
        "active": truthy(body.get("active", True)),
        "export_type": body.get("export_type", "json"),
        "auth_level": body.get("auth_level", "no_auth"),
        "settings": body.get("settings") or {},
        "email_notification": truthy(body.get("email_notification", True)),
        "subset_fields": body.get("subset_fields") or [],
        "payload_template": body.get("payload_template") or "",
        "date_modified": iso_time(),
    }
    store.put("hook", hook["uid"], hook, parent=uid)
    return json_response(hook_json(hook), 201)


@bp.route("/api/v2/assets/<uid>/hooks/<huid>/", methods=["GET", "PATCH", "PUT", "DELETE"])
@need_api()
def hook_detail(uid: str, huid: str) -> Response:
    """Show, update (PATCH partial, PUT full) or delete a hook."""
    hook = get_hook(uid, huid)
    if hook is None:
        return detail(404, "Not found.")
    store = current_sandbox().store
    if request.method == "DELETE":
        store.delete("hook", huid)
        return Response(status=204)
    if request.method == "GET":
        return json_response(hook_json(hook))
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return detail(400, "JSON parse error")
    errors = validate_hook(body, partial=request.method == "PATCH")
    if errors:
        return json_response(errors, 400)
    for key in HOOK_FIELDS:
        if key in body:
            value = body[key]
            hook[key] = truthy(value) if key in ("active", "email_notification") else value
    hook["date_modified"] = iso_time()
    store.put("hook", huid, hook, parent=uid)
    return json_response(hook_json(hook))


@bp.get("/api/v2/assets/<uid>/hooks/<huid>/logs/")
@need_api()
def hook_logs(uid: str, huid: str) -> Response:
    """The hook's logs, newest first, optionally by `status`."""
    hook = get_hook(uid, huid)
    if hook is None:
        return detail(404, "Not found.")
    logs = current_sandbox().store.children("hook_log", huid)
    if request.args.get("status", "") != "":
        try:
            wanted = int(request.args["status"])
        except ValueError:
            return json_response({"status": ["Enter a number."]}, 400)
        logs = [lg for lg in logs if lg["status"] == wanted]
    return page([log_json(hook, lg) for lg in reversed(logs)])


@bp.get("/api/v2/assets/<uid>/hooks/<huid>/logs/<luid>/")
@need_api()
def hook_log_detail(uid: str, huid: str, luid: str) -> Response:
    """One hook log."""
    found = get_hook_log(uid, huid, luid)
    if found is None:
        return detail(404, "Not found.")
    return json_response(log_json(*found))


def requeue(log: dict) -> None:
    """Set a log pending again and schedule a delivery; its `tries` go on counting, as kpi's."""
    sb = current_sandbox()
    log.update(status=PENDING, status_str=STATUS_STR[PENDING], date_modified=iso_time())
    sb.store.put("hook_log", log["uid"], log, parent=log["hook_uid"])
    sb.hooks.enqueue(log["uid"])


def _settled_for(log: dict, seconds: float) -> bool:
    """Whether the log was last changed more than `seconds` ago (kpi's stalled-log threshold)."""
    changed = datetime.fromisoformat(log["date_modified"].replace("Z", "+00:00"))
    return datetime.now(UTC) - changed > timedelta(seconds=seconds)


def _stalled(log: dict, max_tries: int) -> bool:
    """Pending with every try used, and unchanged for 120 s: kpi lets it be retried."""
    return (
        log["status"] == PENDING
        and log["tries"] >= max_tries
        and _settled_for(log, STALLED_SECONDS)
    )


@bp.patch("/api/v2/assets/<uid>/hooks/<huid>/retry/")
@need_api()
def hook_retry(uid: str, huid: str) -> Response:
    """Retry the failed logs of an active hook, and pending ones out of tries for over 120 s."""
    hook = get_hook(uid, huid)
    if hook is None:
        return detail(404, "Not found.")
    if not hook["active"]:
        return detail(400, "Cannot retry on disabled hooks")
    sb = current_sandbox()
    logs = sb.store.children("hook_log", huid)
    again = [lg for lg in logs if lg["status"] == FAILED or _stalled(lg, sb.hooks.max_tries)]
    if not again:
        # kpi means {"detail": "No data to retry"}, but a 304 carries no body.
        return Response(status=304)
    for log in again:
        requeue(log)
    return json_response(
        {"detail": "Task successfully scheduled", "pending_uids": [lg["uid"] for lg in again]}
    )


@bp.patch("/api/v2/assets/<uid>/hooks/<huid>/logs/<luid>/retry/")
@need_api()
def hook_log_retry(uid: str, huid: str, luid: str) -> Response:
    """Send one log again now, as kpi does: only a failed one, 120 s after its last change."""
    found = get_hook_log(uid, huid, luid)
    if found is None:
        return detail(404, "Not found.")
    hook, log = found
    retryable = log["status"] == FAILED or _stalled(log, current_sandbox().hooks.max_tries)
    if not (hook["active"] and retryable and _settled_for(log, STALLED_SECONDS)):
        body = {"detail": "Data is being or has already been processed", "status_code": None}
        return json_response(body, 400)
    ok, code, message = current_sandbox().hooks.attempt_now(luid)
    if ok:
        return json_response({"detail": message, "status_code": code})
    return json_response({"detail": f"HTTP {code} - {message}", "status_code": code}, 400)
