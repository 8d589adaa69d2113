"""Central's form attachments: of the draft (upload, list) and of the published form."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, Response, request

from sandbox.central.auth import current_state, get_form
from sandbox.central.responses import not_found, ok
from sandbox.central.state import FormDef, iso

bp = Blueprint("attachments", __name__)


def attachment_json(definition: FormDef, name: str) -> dict[str, Any]:
    """One expected media file as Central shows it: `hash` is the MD5 of what was uploaded."""
    blob = definition.attachments.get(name)
    return {
        "name": name,
        "type": definition.media[name],
        "hash": hashlib.md5(blob[1], usedforsecurity=False).hexdigest() if blob else None,
        "exists": blob is not None,
        "blobExists": blob is not None,
        "datasetExists": False,
        "updatedAt": iso(blob[2]) if blob else None,
    }


def attachment_list(definition: FormDef) -> list[dict[str, Any]]:
    """Every media file the definition references, and whether it was uploaded."""
    return [attachment_json(definition, name) for name in sorted(definition.media)]


@bp.get("/v1/projects/<int:p>/forms/<form_id>/draft/attachments")
def list_draft_attachments(p: int, form_id: str) -> Response:
    """The draft's attachments."""
    with current_state().lock:
        form = get_form(p, form_id)
        if form.draft is None:
            raise not_found()
        return ok(attachment_list(form.draft))


@bp.post("/v1/projects/<int:p>/forms/<form_id>/draft/attachments/<name>")
def upload_draft_attachment(p: int, form_id: str, name: str) -> Response:
    """Upload one attachment the draft expects (the body is the file); answer its JSON."""
    state = current_state()
    with state.lock:
        form = get_form(p, form_id)
        if form.draft is None or name not in form.draft.media:
            raise not_found()
        form.draft.attachments[name] = (
            request.content_type or "application/octet-stream",
            request.get_data(),
            state.clock(),
        )
        return ok(attachment_json(form.draft, name))


@bp.get("/v1/projects/<int:p>/forms/<form_id>/attachments")
def list_attachments(p: int, form_id: str) -> Response:
    """The published form's attachments."""
    with current_state().lock:
        form = get_form(p, form_id)
        if form.current is None:
            raise not_found()
        return ok(attachment_list(form.current))


@bp.get("/v1/projects/<int:p>/forms/<form_id>/attachments/<name>")
def download_attachment(p: int, form_id: str, name: str) -> Response:
    """One attachment of the published form."""
    with current_state().lock:
        form = get_form(p, form_id)
        blob = form.current.attachments.get(name) if form.current else None
        if blob is None:
            raise not_found()
    return Response(blob[1], mimetype=blob[0])
