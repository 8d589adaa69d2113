"""Central's form attachments: of the draft (upload, list) and of the published form."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, request

from sandbox.central.auth import current_state, get_form
from sandbox.central.responses import not_found, ok
from sandbox.central.state import FormDef, iso

bp = Blueprint("attachments", __name__)


def attachment_list(definition: FormDef) -> list[dict[str, Any]]:
    """Every media file the definition references, and whether it was uploaded."""
    return [
        {
            "name": name,
            "type": kind,
            "exists": name in definition.attachments,
            "blobExists": name in definition.attachments,
            "datasetExists": False,
            "updatedAt": iso(definition.created_at) if name in definition.attachments else None,
        }
        for name, kind in sorted(definition.media.items())
    ]


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
    """Upload one attachment the draft expects (the body is the file)."""
    with current_state().lock:
        form = get_form(p, form_id)
        if form.draft is None or name not in form.draft.media:
            raise not_found()
        form.draft.attachments[name] = (
            request.content_type or "application/octet-stream",
            request.get_data(),
        )
    return ok({"success": True})


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
