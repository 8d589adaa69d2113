"""Central's REST submissions: create, show, edit (a new version via `deprecatedID`), trash."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from flask import Blueprint, Response

from sandbox.central.auth import current_state, get_form, require_user
from sandbox.central.forms import xml_body
from sandbox.central.responses import CentralProblem, already_exists, not_found, ok
from sandbox.central.state import (
    Submission,
    SubmissionVersion,
    local_name,
    parse_xml,
    user_id,
)

bp = Blueprint("submissions", __name__)


def instance_meta(xml: bytes) -> tuple[ET.Element, str, str | None, str | None]:
    """An instance's root, form id, `instanceID` and `deprecatedID`."""
    doc = parse_xml(xml)
    instance_id = deprecated = None
    for elem in doc.iter():
        name = local_name(elem.tag)
        if name == "instanceID":
            instance_id = (elem.text or "").strip() or None
        elif name == "deprecatedID":
            deprecated = (elem.text or "").strip() or None
    form_id = doc.get("id") or local_name(doc.tag)
    return doc, form_id, instance_id, deprecated


def find_submission(p: int, form_id: str, instance_id: str, *, deleted: bool = False) -> Submission:
    """The submission whose (first) instance id is `instance_id`, in the trash if `deleted`.

    404.1 when unknown, and (as Central) for a trashed one unless `deleted`, and vice versa.
    """
    for sub in current_state().submissions.get((p, form_id), []):
        if sub.id == instance_id and (sub.deleted_at is not None) == deleted:
            return sub
    raise not_found()


def _refuse_used_instance_id(p: int, form_id: str, instance_id: str) -> None:
    # Instance ids are unique per form across every version of every submission.
    if (p, form_id, instance_id) in current_state().instance_ids:
        raise already_exists(["instanceId"], [instance_id])


@bp.post("/v1/projects/<int:p>/forms/<form_id>/submissions")
def create_submission(p: int, form_id: str) -> Response:
    """Accept a new submission to a published version of the form."""
    email = require_user()
    body = xml_body()
    state = current_state()
    with state.lock:
        form = get_form(p, form_id)
        doc, xml_form_id, instance_id, _ = instance_meta(body)
        if xml_form_id != form_id:
            raise CentralProblem(
                400,
                400.8,
                f"The form ID you specified ({form_id}) does not match the one in the "
                f"submission ({xml_form_id}).",
            )
        if instance_id is None:
            raise CentralProblem(400, 400.2, "Required parameter instanceID missing.")
        version = doc.get("version", "")
        if not any(d.version == version for d in form.published):
            raise CentralProblem(
                409,
                409.4,
                f"The form version you specified ({version}) is not a published version "
                "of this form.",
            )
        _refuse_used_instance_id(p, form_id, instance_id)
        now = state.clock()
        sub = Submission(
            seq=state.next_seq(),
            id=instance_id,
            form=form,
            submitter_id=user_id(email),
            created_at=now,
            versions=[SubmissionVersion(instance_id, body, version, now)],
        )
        state.submissions.setdefault((p, form_id), []).append(sub)
        state.instance_ids.add((p, form_id, instance_id))
        return ok(sub.rest_json())


@bp.get("/v1/projects/<int:p>/forms/<form_id>/submissions/<instance_id>")
def show_submission(p: int, form_id: str, instance_id: str) -> Response:
    """One submission."""
    with current_state().lock:
        get_form(p, form_id)
        return ok(find_submission(p, form_id, instance_id).rest_json())


@bp.delete("/v1/projects/<int:p>/forms/<form_id>/submissions/<instance_id>")
def delete_submission(p: int, form_id: str, instance_id: str) -> Response:
    """Move a submission to the trash: out of the feed, `updatedAt` untouched, id still taken."""
    require_user()
    state = current_state()
    with state.lock:
        get_form(p, form_id)
        find_submission(p, form_id, instance_id).deleted_at = state.clock()
    return ok({"success": True})


@bp.post("/v1/projects/<int:p>/forms/<form_id>/submissions/<instance_id>/restore")
def restore_submission(p: int, form_id: str, instance_id: str) -> Response:
    """Bring a submission back from the trash (its `updatedAt` stays as it was)."""
    require_user()
    state = current_state()
    with state.lock:
        get_form(p, form_id)
        find_submission(p, form_id, instance_id, deleted=True).deleted_at = None
    return ok({"success": True})


@bp.put("/v1/projects/<int:p>/forms/<form_id>/submissions/<instance_id>")
def edit_submission(p: int, form_id: str, instance_id: str) -> Response:
    """Edit a submission: the body's `deprecatedID` must name its current version."""
    require_user()
    body = xml_body()
    state = current_state()
    with state.lock:
        get_form(p, form_id)
        sub = find_submission(p, form_id, instance_id)
        doc, _, new_id, deprecated = instance_meta(body)
        if new_id is None:
            raise CentralProblem(400, 400.2, "Required parameter instanceID missing.")
        if deprecated != sub.current.instance_id:
            raise CentralProblem(
                409,
                409.1,
                "The deprecatedID of the submission does not match the current version "
                f"({sub.current.instance_id}).",
            )
        _refuse_used_instance_id(p, form_id, new_id)
        now = state.clock()
        sub.versions.append(SubmissionVersion(new_id, body, doc.get("version", ""), now))
        sub.updated_at = now
        sub.review_state = "edited"
        sub.edits += 1
        state.instance_ids.add((p, form_id, new_id))
        return ok(sub.rest_json())
