"""Kpi's form media: `/api/v2/assets/<uid>/files/`."""

from __future__ import annotations

import hashlib
import json
import mimetypes

from flask import Blueprint, Response, g, request

from sandbox.kobo.auth import need_api
from sandbox.kobo.responses import current_sandbox, detail, json_response, page
from sandbox.kobo.serializers import file_json, get_asset
from sandbox.kobo.util import iso_time, new_uid

bp = Blueprint("files", __name__)


@bp.route("/api/v2/assets/<uid>/files/", methods=["GET", "POST"])
@need_api()
def files(uid: str) -> Response:
    """List the asset's files (GET, optionally by `file_type`) or upload one (POST)."""
    if get_asset(uid) is None:
        return detail(404, "Not found.")
    if request.method == "GET":
        items = current_sandbox().store.children("file", uid)
        if request.args.get("file_type"):
            items = [f for f in items if f["file_type"] == request.args["file_type"]]
        return page([file_json(f) for f in items])
    return _upload(uid)


def _upload(uid: str) -> Response:
    file_type = request.form.get("file_type")
    errors: dict[str, list[str]] = {}
    if file_type not in ("form_media", "map_layer"):
        errors["file_type"] = [f'"{file_type}" is not a valid choice.']
    upload = request.files.get("content") or request.files.get("file")
    if upload is None:
        errors["content"] = ["No file was submitted."]
    if errors:
        return json_response(errors, 400)
    data = upload.read()
    try:
        meta = json.loads(request.form.get("metadata") or "{}")
    except ValueError:
        meta = {}
    filename = meta.get("filename") or upload.filename or "file"
    doc = {
        "uid": new_uid("af"),
        "asset": uid,
        "user": g.user,
        "file_type": file_type,
        "description": request.form.get("description", ""),
        "date_created": iso_time(),
        "metadata": {
            **meta,
            "filename": filename,
            "hash": "md5:" + hashlib.md5(data).hexdigest(),
            "mimetype": upload.mimetype or mimetypes.guess_type(filename)[0] or "",
        },
    }
    store = current_sandbox().store
    store.put("file", doc["uid"], doc, parent=uid)
    store.put_blob("file:" + doc["uid"], data)
    return json_response(file_json(doc), 201)


@bp.route("/api/v2/assets/<uid>/files/<fuid>/", methods=["GET", "DELETE"])
@need_api()
def file_detail(uid: str, fuid: str) -> Response:
    """One file's JSON, or its deletion."""
    store = current_sandbox().store
    f = store.get("file", fuid)
    if f is None or f["asset"] != uid:
        return detail(404, "Not found.")
    if request.method == "DELETE":
        store.delete("file", fuid)
        return Response(status=204)
    return json_response(file_json(f))


@bp.get("/api/v2/assets/<uid>/files/<fuid>/content/")
@need_api()
def file_content(uid: str, fuid: str) -> Response:
    """A file's bytes."""
    store = current_sandbox().store
    f = store.get("file", fuid)
    data = store.get_blob("file:" + fuid)
    if f is None or f["asset"] != uid or data is None:
        return detail(404, "Not found.")
    return Response(data, content_type=f["metadata"].get("mimetype") or "text/csv")
