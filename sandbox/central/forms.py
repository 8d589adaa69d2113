"""Central's forms, drafts and publishing: `/v1/projects/<p>/forms[/<id>[/draft]]`."""

from __future__ import annotations

import re

from flask import Blueprint, Response, request

from sandbox.central.auth import current_state, get_form, project
from sandbox.central.responses import CentralProblem, already_exists, not_found, ok
from sandbox.central.state import Form, FormDef, parse_xform

bp = Blueprint("forms", __name__)


def xml_body() -> bytes:
    """The request body, which must be XML (a form or a submission); 400.2 when empty."""
    body = request.get_data()
    if not body:
        raise CentralProblem(400, 400.2, "Required parameter xml missing.")
    return body


def with_version(xml: bytes, form_id: str, version: str) -> bytes:
    """The XForm with the primary instance's `version` attribute set to `version`."""
    # Central rewrites the version attribute of the primary instance root in place.
    text = xml.decode("utf-8")
    pattern = re.compile(
        r'(<[^>]*\bid="' + re.escape(form_id) + r'"[^>]*?)(\s+version="[^"]*")?(\s*/?>)'
    )
    replaced, n = pattern.subn(
        lambda m: f'{m.group(1)} version="{version}"{m.group(3)}', text, count=1
    )
    return replaced.encode("utf-8") if n else xml


@bp.get("/v1/projects/<int:p>/forms")
def list_forms(p: int) -> Response:
    """The project's forms."""
    project(p)
    state = current_state()
    with state.lock:
        forms = [f.to_json() for (pid, _), f in state.forms.items() if pid == p]
    return ok(forms)


@bp.post("/v1/projects/<int:p>/forms")
def create_form(p: int) -> Response:
    """Create a form from an XForm, as a draft or (`?publish=true`) published."""
    project(p)
    definition = parse_xform(xml_body())
    publish = request.args.get("publish") == "true"
    state = current_state()
    with state.lock:
        key = (p, definition.xml_form_id)
        if key in state.forms:
            raise already_exists(["projectId", "xmlFormId"], [p, definition.xml_form_id])
        form = Form(p, definition.xml_form_id, created_at=state.clock())
        if publish:
            definition.published_at = state.clock()
            form.published.append(definition)
        else:
            form.draft = definition
        state.forms[key] = form
        return ok(form.to_json(definition))


@bp.get("/v1/projects/<int:p>/forms/<form_id>")
def show_form(p: int, form_id: str) -> Response:
    """One form (its published definition, else its draft)."""
    with current_state().lock:
        form = get_form(p, form_id)
        return ok(form.to_json())


@bp.post("/v1/projects/<int:p>/forms/<form_id>/draft")
def create_draft(p: int, form_id: str) -> Response:
    """Start a draft from an uploaded XForm, or from the current definition when empty."""
    with current_state().lock:
        form = get_form(p, form_id)
        body = request.get_data()
        if body:
            definition = parse_xform(body)
            if definition.xml_form_id != form.xml_form_id:
                raise CentralProblem(
                    400,
                    400.8,
                    "The form you have uploaded attempts to change the xmlFormId from "
                    f"{form.xml_form_id} to {definition.xml_form_id}. This is not allowed.",
                )
        else:
            base = form.current or form.draft
            if base is None:
                raise not_found()
            definition = parse_xform(base.xml)
        _carry_attachments(form.current or form.draft, definition)
        form.draft = definition
    return ok({"success": True})


def _carry_attachments(previous: FormDef | None, definition: FormDef) -> None:
    # Central carries over attachments whose names the new definition still expects.
    if previous is not None:
        for name, blob in previous.attachments.items():
            if name in definition.media:
                definition.attachments[name] = blob


@bp.get("/v1/projects/<int:p>/forms/<form_id>/draft")
def show_draft(p: int, form_id: str) -> Response:
    """The form's draft."""
    with current_state().lock:
        form = get_form(p, form_id)
        if form.draft is None:
            raise not_found()
        return ok(form.to_json(form.draft))


@bp.post("/v1/projects/<int:p>/forms/<form_id>/draft/publish")
def publish_draft(p: int, form_id: str) -> Response:
    """Publish the draft, optionally renaming its version (`?version=`); 409.6 on a reuse."""
    state = current_state()
    with state.lock:
        form = get_form(p, form_id)
        draft = form.draft
        if draft is None:
            raise not_found()
        version = request.args.get("version")
        if version is not None:
            draft.xml = with_version(draft.xml, form_id, version)
            draft.version = version
        if any(d.version == draft.version for d in form.published):
            raise CentralProblem(
                409,
                409.6,
                f"You tried to publish the form '{form_id}' with version '{draft.version}', "
                "but a published form has already existed in this project with those "
                "identifiers. Please choose a new name and try again. You can re-request "
                "with ?version=xyz to have the version changed in-place for you.",
                {"xmlFormId": form_id, "version": draft.version},
            )
        draft.published_at = state.clock()
        form.published.append(draft)
        form.draft = None
        form.updated_at = state.clock()
    return ok({"success": True})
