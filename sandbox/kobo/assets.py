"""Kpi's assets and their deployment: `/api/v2/assets/` and `.../deployment/`."""

from __future__ import annotations

from flask import Blueprint, Response, request

from sandbox.kobo.auth import need_api
from sandbox.kobo.forms import kobo_xform
from sandbox.kobo.responses import current_sandbox, detail, json_response, page, truthy
from sandbox.kobo.serializers import asset_json, deployment_json, get_asset
from sandbox.kobo.util import iso_time, utcnow

bp = Blueprint("assets", __name__)


@bp.get("/api/v2/assets/")
@need_api(anonymous="empty")
def assets_list() -> Response:
    """The caller's assets, most recently modified first."""
    assets = [asset_json(a, full=False) for a in current_sandbox().store.children("asset")]
    assets.sort(key=lambda a: a["date_modified"], reverse=True)
    return page(assets)


@bp.get("/api/v2/assets/<uid>/")
@need_api()
def asset_detail(uid: str) -> Response:
    """One asset in full."""
    asset = get_asset(uid)
    if asset is None:
        return detail(404, "Not found.")
    return json_response(asset_json(asset))


def deploy(asset: dict, version_uid: str, active: bool) -> None:
    """Deploy a version: build its XForm once, record it among the deployed versions."""
    store = current_sandbox().store
    version = store.get("version", version_uid)
    assert version is not None
    now = utcnow()
    if version_uid not in asset["deployed"]:
        asset["deployed"].append(version_uid)
    label = f"{len(asset['deployed'])} ({now.strftime('%Y-%m-%d %H:%M:%S')})"
    if asset.get("deployed_version_id") != version_uid or "xform" not in version:
        version["xform"] = kobo_xform(
            version["form"], asset["uid"], version_uid, asset["formhub_uuid"], label
        )
        version["date_deployed"] = iso_time(now)
        store.put("version", version_uid, version, parent=asset["uid"])
    asset["deployed_version_id"] = version_uid
    asset["deployment_active"] = active
    asset["date_deployed"] = iso_time(now)
    asset["date_modified"] = iso_time(now)
    store.put("asset", asset["uid"], asset)


@bp.route("/api/v2/assets/<uid>/deployment/", methods=["GET", "POST", "PATCH"])
@need_api()
def deployment(uid: str) -> Response:
    """Show (GET), create (POST) or redeploy/archive (PATCH) the asset's deployment."""
    with current_sandbox().store.lock:
        asset = get_asset(uid)
        if asset is None:
            return detail(404, "Not found.")
        body = request.get_json(silent=True) or request.form.to_dict()
        deployed = asset.get("deployed_version_id") is not None
        if request.method == "GET":
            if not deployed:
                return detail(404, "Not found.")
            return json_response(deployment_json(asset))
        if asset["asset_type"] != "survey":
            return detail(
                400, f"Only surveys may be deployed, but this asset is a {asset['asset_type']}"
            )
        if request.method == "POST":
            if deployed:
                return detail(405, "Use PATCH to update an existing deployment")
            if not truthy(body.get("active", False)):
                return json_response({"active": ["This field must be true"]}, 400)
            deploy(asset, asset["version_id"], True)
            return json_response(deployment_json(asset))
        if not deployed:
            return detail(400, "This asset is not deployed")
        return _patch_deployment(asset, body)


def _patch_deployment(asset: dict, body: dict) -> Response:
    version_id = body.get("version_id")
    active = truthy(body["active"]) if "active" in body else True
    if version_id:
        if version_id != asset["version_id"]:
            return json_response({"version_id": ["Only the current version can be deployed"]}, 400)
        deploy(asset, version_id, active)
    else:
        asset["deployment_active"] = active
        asset["date_modified"] = iso_time()
        current_sandbox().store.put("asset", asset["uid"], asset)
    return json_response(deployment_json(asset))
