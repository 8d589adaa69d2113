"""Central's sessions and users: `/v1/sessions`, `/v1/users/current`."""

from __future__ import annotations

import secrets

from flask import Blueprint, Response, request

from sandbox.central.auth import current_state, require_user
from sandbox.central.responses import not_found, ok, problem
from sandbox.central.state import StubSession, iso, user_id

bp = Blueprint("sessions", __name__)


@bp.post("/v1/sessions")
def create_session() -> Response:
    """Log in with email and password; the answer carries the bearer token."""
    state = current_state()
    data = request.get_json(silent=True) or {}
    email, password = data.get("email"), data.get("password")
    if not email or not password:
        return problem(400, 400.3, "Required parameters email, password missing.")
    with state.lock:
        if state.users.get(email) != password:
            return problem(401, 401.2, "Could not authenticate with the provided credentials.")
        now = state.clock()
        session = StubSession(secrets.token_urlsafe(48), email, now + state.session_ttl)
        state.sessions[session.token] = session
    return ok(
        {
            "token": session.token,
            "csrf": secrets.token_urlsafe(16),
            "expiresAt": iso(session.expires_at),
            "createdAt": iso(now),
        }
    )


@bp.delete("/v1/sessions/<token>")
def delete_session(token: str) -> Response:
    """Log out a session."""
    require_user()
    state = current_state()
    with state.lock:
        if state.sessions.pop(token, None) is None:
            raise not_found()
    return ok({"success": True})


@bp.get("/v1/users/current")
def current_user() -> Response:
    """The signed-in user."""
    email = require_user()
    return ok({"id": user_id(email), "type": "user", "displayName": email, "email": email})
