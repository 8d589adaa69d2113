"""API routes for admins only: the forms and the health of intake."""

from __future__ import annotations

from flask import jsonify

from core.usecases.browse import intake
from service.access import ADMIN, access
from service.api import bp
from service.common import listing, paging
from service.db import get_session


@bp.get("/forms")
@access(ADMIN, reads="forms")
def form_list():
    """Every form built, with its latest version and publication."""
    return listing(intake.form_list(get_session(), **paging()))


@bp.get("/forms/<form_id>")
@access(ADMIN, reads="forms")
def form_detail(form_id: str):
    """One form's versions and publications."""
    return jsonify(intake.form_detail(get_session(), form_id))


@bp.get("/intake")
@access(ADMIN, reads="intake")
def intake_health():
    """Last webhook delivery, last pull per form, submissions by status, problem counts."""
    return jsonify(intake.health(get_session()))


@bp.get("/intake/dead-letters")
@access(ADMIN, reads="intake")
def dead_letters():
    """Payloads refused at the door, newest first."""
    return listing(intake.dead_letters(get_session(), **paging()))


@bp.get("/intake/problems")
@access(ADMIN, reads="intake")
def problems():
    """Stored submissions that failed or map to no known form version."""
    return listing(intake.problems(get_session(), **paging()))
