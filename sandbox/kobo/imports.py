"""Kpi's XLSForm imports: `/api/v2/imports/`, run in a thread like kpi's import task."""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Blueprint, Response, g, request

from sandbox.kobo.auth import need_api
from sandbox.kobo.forms import content_hash, parse_xlsform
from sandbox.kobo.responses import base_url, current_sandbox, detail, json_response, truthy
from sandbox.kobo.util import iso_time, new_hex, new_uid

if TYPE_CHECKING:
    from sandbox.kobo.app import Sandbox
    from sandbox.kobo.store import Store

bp = Blueprint("imports", __name__)


@bp.post("/api/v2/imports/")
@need_api(anonymous="401")
def import_create() -> Response:
    """Start an import; the answer is `processing` and the client polls."""
    upload = request.files.get("file")
    if upload is None:
        return detail(400, "No file or url provided")
    sb = current_sandbox()
    content = upload.read()
    form = request.form
    library = truthy(form.get("library", "true"))
    desired = form.get("desired_type", "")
    params = {
        "name": form.get("name") or "",
        "filename": upload.filename or "form.xlsx",
        "survey": desired == "survey" or not library,
        "destination": form.get("destination") or "",
    }
    imp = {
        "uid": new_uid("i"),
        "status": "processing",
        "messages": {},
        "date_created": iso_time(),
        "polls_left": sb.config.import_processing_polls,
        "user": g.user,
    }
    sb.store.put("import", imp["uid"], imp)
    threading.Thread(target=run_import, args=(sb, imp["uid"], content, params), daemon=True).start()
    url = f"{base_url()}/api/v2/imports/{imp['uid']}/"
    return json_response({"uid": imp["uid"], "url": url, "status": "processing"}, 201)


def run_import(sb: Sandbox, imp_uid: str, content: bytes, params: dict) -> None:
    """The import task: parse the XLSForm, write the asset and version, record the outcome."""
    store = sb.store
    user = (store.get("import", imp_uid) or {}).get("user", sb.config.owner)
    try:
        form = parse_xlsform(content)
        with store.lock:  # the destination asset may be redeployed concurrently
            update = {
                "status": "complete",
                "messages": do_import(store, form, content, params, user),
            }
    except Exception as exc:
        update = {
            "status": "error",
            "messages": {"error": str(exc), "error_type": type(exc).__name__},
        }
    # Read-modify-write under the lock: a concurrent poll also rewrites this document.
    with store.lock:
        imp = store.get("import", imp_uid) or {}
        imp.update(update)
        store.put("import", imp_uid, imp)


def _destination_asset(store: Store, dest: str) -> dict:
    m = re.search(r"/assets/([^/]+)/?$", dest.rstrip("/") + "/") or re.match(r"^(\w+)$", dest)
    asset = store.get("asset", m.group(1)) if m else None
    if asset is None:
        raise ValueError(f"destination not found: {dest}")
    return asset


def _new_asset(store: Store, user: str, survey: bool, now: str) -> dict:
    return {
        "uid": new_uid("a"),
        "owner": user,
        "date_created": now,
        # Without library=false / desired_type=survey kpi makes a library block.
        "asset_type": "survey" if survey else "block",
        "versions": [],
        "deployed": [],
        "deployed_version_id": None,
        "deployment_active": False,
        "formhub_uuid": new_hex(),
        "pk": len(store.children("asset")) + 1,
        # The project settings kpi's UI edits; the XLSForm's settings live in `content`.
        "settings": {
            "sector": {},
            "country": [],
            "description": "",
            "organization": "",
            "country_codes": [],
        },
    }


def content_settings(form: dict) -> dict:
    """What kpi keeps of the XLSForm's settings sheet in `content.settings`.

    `form_title` is not kept: kpi pops it to name the asset. `form_id` is kept as `id_string`.
    """
    kept = {
        "version": form.get("version"),
        "id_string": form.get("id_string"),
        "instance_name": form.get("instance_name"),
        # pyxform says "default" when the sheet names none; kpi then keeps no such key.
        "default_language": form.get("default_language"),
    }
    return {k: v for k, v in kept.items() if v not in (None, "", "default")}


def do_import(store: Store, form: dict, content: bytes, params: dict, user: str) -> dict:
    """Create or update the asset with a new version; returns kpi's import `messages`."""
    now = iso_time()
    dest = params["destination"]
    if dest:
        asset = _destination_asset(store, dest)
        kind = "updated"
    else:
        asset = _new_asset(store, user, params["survey"], now)
        kind = "created"
    # As kpi: the asset is named after the XLSForm's form_title (in the default language),
    # whatever `name` the import carried; `name` counts only for a form without a title.
    asset["name"] = form.get("title") or params["name"] or Path(params["filename"]).stem
    # Every import makes a new version, even of identical content, as kpi does.
    version = {
        "uid": new_uid("v"),
        "asset_uid": asset["uid"],
        "date_created": now,
        "content_hash": content_hash(content),
        "form": form,
        "row_count": sum(1 for _ in form.get("children", [])),
        "content": {"settings": content_settings(form)},
    }
    store.put("version", version["uid"], version, parent=asset["uid"])
    store.put_blob("xls:" + version["uid"], content)
    asset["versions"].append(version["uid"])
    asset["version_id"] = version["uid"]
    asset["date_modified"] = now
    store.put("asset", asset["uid"], asset)
    summary = {"row_count": version["row_count"], "languages": [], "geo": False}
    return {
        kind: [
            {
                "uid": asset["uid"],
                "kind": "asset",
                "summary": summary,
                "owner__username": asset["owner"],
            }
        ]
    }


@bp.get("/api/v2/imports/<uid>/")
@need_api()
def import_detail(uid: str) -> Response:
    """An import's state; the first polls of a finished import still say `processing`."""
    store = current_sandbox().store
    with store.lock:
        imp = store.get("import", uid)
        if imp is None:
            return detail(404, "Not found.")
        status, messages = imp["status"], imp["messages"]
        if imp.get("polls_left", 0) > 0:
            imp["polls_left"] -= 1
            store.put("import", uid, imp)
            status, messages = "processing", {}
    # kpi's import detail carries no `url` (only the answer to the POST does).
    return json_response(
        {"status": status, "uid": uid, "messages": messages, "date_created": imp["date_created"]}
    )
