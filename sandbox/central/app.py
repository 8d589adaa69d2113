"""ODK-Central-compatible stub: the parts of Central's API v1 Pantau uses, with its awkward parts.

Built from docs/kobo.md (Central section): bearer sessions (Basic over http is 401.3),
forms with drafts and versions (409.3, 409.6), draft attachments, REST submissions and edits,
and the OData `Submissions` feed with `$filter` on `__system` fields, `$top`, `$orderby` (first
pages only: with a skip token it is 501.1), `$expand`, `$select` and `@odata.nextLink` links
carrying `%24skiptoken=01<base64>`. `serve_stub` dates every answer by the stub's clock.
State lives in memory; `CentralStubState` is reachable as `app.extensions["central_stub"]`.

This module is the factory and the error mapping; each resource's routes live in their own
module (`sessions`, `forms`, `attachments`, `submissions`, `odata_routes`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from flask import Flask, Response
from werkzeug.exceptions import HTTPException
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from sandbox.central import attachments, forms, odata_routes, sessions, submissions
from sandbox.central.auth import authenticate
from sandbox.central.odata import ODataError
from sandbox.central.responses import CentralProblem, problem
from sandbox.central.state import CentralStubState, now_ms

__all__ = ["CentralStubState", "create_central_stub", "serve_stub"]

BLUEPRINTS = (sessions.bp, forms.bp, attachments.bp, submissions.bp, odata_routes.bp)


def central_problem(exc: CentralProblem) -> Response:
    """A raised `CentralProblem` as its answer."""
    return problem(exc.status, exc.code, exc.message, exc.details)


def odata_problem(exc: ODataError) -> Response:
    """A refused OData query as Central's problem answer."""
    return problem(exc.status, exc.code, exc.message)


def http_problem(exc: HTTPException) -> Response:
    """Werkzeug's errors (unknown path, wrong method, ...) in Central's shape."""
    if exc.code == 404:
        return problem(404, 404.1, "Could not find the resource you were looking for.")
    if exc.code == 405:
        return problem(405, 405.1, "This endpoint does not support the method you used.")
    return problem(exc.code or 500, float(f"{exc.code}.1"), exc.description or "")


def create_central_stub(
    users: Mapping[str, str] | None = None,
    *,
    projects: tuple[int, ...] = (1,),
    session_ttl: timedelta = timedelta(hours=24),
    clock: Callable[[], datetime] | None = None,
) -> Flask:
    """Build the stub app; `users` maps email to password (default admin@example.org/secret)."""
    app = Flask("pantau-central-stub")
    app.extensions["central_stub"] = CentralStubState(
        users or {"admin@example.org": "secret"},
        projects=projects,
        session_ttl=session_ttl,
        clock=clock or now_ms,
    )
    app.register_error_handler(CentralProblem, central_problem)
    app.register_error_handler(ODataError, odata_problem)
    app.register_error_handler(HTTPException, http_problem)
    app.before_request(authenticate)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    return app


def serve_stub(app: Flask, host: str, port: int, *, dated: bool = True) -> BaseWSGIServer:
    """A threaded server for the stub whose `Date` header is the stub's clock.

    Real Central's `Date` and its database's times come from one clock (pulls bound their mark
    by it), so a stub on a frozen or shifted clock must date its answers by that clock too:
    the server writes the header (an app cannot replace it, only add a second). `dated=False`
    sends none, as a proxy that strips it would.
    """
    clock = app.extensions["central_stub"].clock

    class Handler(WSGIRequestHandler):
        def date_time_string(self, timestamp: float | None = None) -> str:
            if timestamp is not None:
                return super().date_time_string(timestamp)
            return format_datetime(clock().astimezone(UTC), usegmt=True)

        def send_header(self, keyword: str, value: str) -> None:
            if dated or keyword.lower() != "date":
                super().send_header(keyword, value)

    return make_server(host, port, app, threaded=True, request_handler=Handler)
