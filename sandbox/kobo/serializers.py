"""Kpi's JSON shapes for assets, deployments, files, hooks and hook logs (key order kept)."""

from __future__ import annotations

from sandbox.kobo.hooks import STATUS_STR
from sandbox.kobo.responses import base_url, current_sandbox

LOG_KEYS = (
    "uid",
    "submission_id",
    "tries",
    "status",
    "status_str",
    "status_code",
    "message",
    "date_created",
    "date_modified",
)


def get_asset(uid: str) -> dict | None:
    """The asset document with this uid, if any."""
    return current_sandbox().store.get("asset", uid)


def asset_url(uid: str) -> str:
    """The asset's kpi URL."""
    return f"{base_url()}/api/v2/assets/{uid}/"


def deployment_status(asset: dict) -> str:
    """Kpi's `deployment_status`: draft, deployed or archived."""
    if asset.get("deployed_version_id") is None:
        return "draft"
    return "deployed" if asset.get("deployment_active") else "archived"


def asset_json(asset: dict, full: bool = True) -> dict:
    """An asset as kpi lists it, or (`full`) as its detail endpoint answers."""
    store = current_sandbox().store
    uid = asset["uid"]
    url = asset_url(uid)
    has_dep = asset.get("deployed_version_id") is not None
    doc = {
        "url": url,
        "owner__username": asset["owner"],
        "date_created": asset["date_created"],
        "date_modified": asset["date_modified"],
        "date_deployed": asset.get("date_deployed"),
        "uid": uid,
        "kind": "asset",
        "name": asset["name"],
        "asset_type": asset["asset_type"],
        "settings": asset.get("settings", {}),
        "version_id": asset["version_id"],
        "has_deployment": has_dep,
        "deployed_version_id": asset.get("deployed_version_id"),
        "deployment__active": bool(asset.get("deployment_active")),
        "deployment__submission_count": store.count_submissions(uid) if has_dep else 0,
        "deployment_status": deployment_status(asset),
        # kobocat's form uuid, which deployed XForms carry as `formhub/uuid`; null until deployed
        "deployment__uuid": asset["formhub_uuid"] if has_dep else None,
        "tag_string": "",
        "data": f"{url}data/",
    }
    if full:
        doc.update(_asset_detail_fields(asset, url, has_dep))
    return doc


def _asset_detail_fields(asset: dict, url: str, has_dep: bool) -> dict:
    store = current_sandbox().store
    uid = asset["uid"]
    version = store.get("version", asset["version_id"]) or {}
    deployed = [store.get("version", v) or {"uid": v} for v in asset.get("deployed", [])]
    return {
        "version__content_hash": version.get("content_hash"),
        "version_count": len(asset.get("versions", [])),
        "deployed_versions": {
            "count": len(deployed),
            "next": None,
            "previous": None,
            "results": [
                {
                    "uid": v["uid"],
                    "url": f"{url}versions/{v['uid']}/",
                    "content_hash": v.get("content_hash"),
                    "date_deployed": v.get("date_deployed"),
                    "date_modified": v.get("date_created"),
                }
                for v in reversed(deployed)
            ],
        },
        "deployment__links": (
            {"url": f"{base_url()}/x/{uid}", "offline_url": f"{base_url()}/x/{uid}"}
            if has_dep
            else {}
        ),
        "files": [file_json(f) for f in store.children("file", uid)],
        "hooks_link": f"{url}hooks/",
        "xform_link": f"{url}xform/",
        "xls_link": f"{url}xls/",
        "summary": {"row_count": version.get("row_count", 0)},
        "content": version.get("content", {}),
    }


def deployment_json(asset: dict) -> dict:
    """The deployment endpoint's answer."""
    return {
        "backend": "openrosa",
        "active": bool(asset.get("deployment_active")),
        "version_id": asset.get("deployed_version_id"),
        "asset": asset_json(asset),
    }


def file_json(f: dict) -> dict:
    """A form-media file as kpi's files endpoint answers."""
    url = f"{asset_url(f['asset'])}files/{f['uid']}/"
    return {
        "uid": f["uid"],
        "url": url,
        "asset": asset_url(f["asset"]),
        "user__username": f["user"],
        "file_type": f["file_type"],
        "description": f.get("description", ""),
        "date_created": f["date_created"],
        "content": f"{url}content/",
        "metadata": f["metadata"],
    }


def hook_json(hook: dict) -> dict:
    """A REST Service hook with its log counts."""
    url = f"{asset_url(hook['asset'])}hooks/{hook['uid']}/"
    logs = current_sandbox().store.children("hook_log", hook["uid"])
    counts = {s: sum(1 for lg in logs if lg["status"] == s) for s in STATUS_STR}
    return {
        "url": url,
        "logs_url": f"{url}logs/",
        "asset": hook["asset_id"],
        "uid": hook["uid"],
        "name": hook["name"],
        "endpoint": hook["endpoint"],
        "active": hook["active"],
        "export_type": hook["export_type"],
        "auth_level": hook["auth_level"],
        "success_count": counts[2],
        "failed_count": counts[0],
        "pending_count": counts[1],
        "settings": hook["settings"],
        "date_modified": hook["date_modified"],
        "email_notification": hook["email_notification"],
        "subset_fields": hook["subset_fields"],
        "payload_template": hook["payload_template"],
    }


def log_json(hook: dict, log: dict) -> dict:
    """One hook log (one submission's delivery state)."""
    url = f"{asset_url(hook['asset'])}hooks/{hook['uid']}/logs/{log['uid']}/"
    return {"url": url, **{k: log[k] for k in LOG_KEYS}}
