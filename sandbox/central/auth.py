"""Who is asking and what they may reach: bearer sessions, projects, forms."""

from __future__ import annotations

from flask import Response, current_app, g, request

from sandbox.central.responses import CentralProblem, not_found, problem
from sandbox.central.state import CentralStubState, Form


def current_state() -> CentralStubState:
    """The stub state of the app serving this request."""
    return current_app.extensions["central_stub"]


def authenticate() -> Response | None:
    """Before every request: log it, and set `g.user` from a live bearer session."""
    state = current_state()
    state.requests.append((request.method, request.full_path))
    g.user = None
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        # Observed on Central: Basic auth is only accepted over https.
        if request.scheme != "https":
            return problem(401, 401.3, "This authentication method is only available over HTTPS")
        return problem(401, 401.2, "Could not authenticate with the provided credentials.")
    if header.startswith("Bearer "):
        token = header.removeprefix("Bearer ").strip()
        with state.lock:
            session = state.sessions.get(token)
            if session is None or session.expires_at <= state.clock():
                return problem(401, 401.2, "Could not authenticate with the provided credentials.")
            g.user = session.email
    return None


def require_user() -> str:
    """The signed-in email, or Central's 403.1 for anonymous requests."""
    if g.user is None:
        raise CentralProblem(
            403, 403.1, "The authenticated actor does not have rights to perform that action."
        )
    return g.user


def project(p: int) -> int:
    """A project the signed-in user may reach (404.1 when unknown)."""
    require_user()
    if p not in current_state().projects:
        raise not_found()
    return p


def get_form(p: int, form_id: str) -> Form:
    """A form of a reachable project (404.1 when unknown)."""
    form = current_state().forms.get((project(p), form_id))
    if form is None:
        raise not_found()
    return form
