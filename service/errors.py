"""Map every error to a JSON response in one place: no HTML pages, no stack traces to clients."""

from __future__ import annotations

import logging

from flask import Flask, current_app, g, jsonify, render_template, request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException

from core.domain.errors import PantauError
from core.domain.privacy import blank_numbers
from core.domain.submissions import Refusal
from core.store.errors import DatabaseUnavailable
from core.usecases.browse.errors import BadQuery, NotVisible
from core.usecases.users import AccessError

log = logging.getLogger("pantau.service")


class ApiError(PantauError):
    """An error with an HTTP status and a message meant for the client."""

    def __init__(self, status: int, message: str, code: str = "error") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code


# The HTTP status of each kind of refused submission: Kobo retries none of these (only
# 502/503/504), which is right, since the same body will be refused every time.
REFUSAL_STATUS = {
    Refusal.MALFORMED: 400,
    Refusal.UNPROCESSABLE: 422,
    Refusal.TOO_LARGE: 413,
    Refusal.UNSUPPORTED_TYPE: 415,
}


def refusal_status(refusal: Refusal | None) -> int:
    """The HTTP status that answers a refused submission."""
    return REFUSAL_STATUS.get(refusal, 400) if refusal is not None else 400


def _wants_page() -> bool:
    # Dashboard pages answer errors as pages; the API, the webhook and probes as JSON.
    rule = current_app.extensions.get("pantau.access", {}).get(request.endpoint or "")
    if rule is not None:
        return rule.page
    path = request.path
    return not path.startswith(("/api/", "/webhooks/")) and request.accept_mimetypes.accept_html


def _body(status: int, code: str, message: str):
    # A message may quote what the client sent ("no family <the number in the path>").
    message = blank_numbers(message)
    if _wants_page():
        html = render_template("error.html", status=status, code=code, message=message)
        return html, status
    resp = jsonify(
        {"error": {"code": code, "message": message}, "request_id": getattr(g, "request_id", None)}
    )
    resp.status_code = status
    return resp


def register_errors(app: Flask) -> None:
    """Install the JSON error handlers on app."""

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        resp = _body(exc.status, exc.code, exc.message)
        if exc.status == 503:
            resp.headers["Retry-After"] = "30"
        return resp

    @app.errorhandler(NotVisible)
    def _not_visible(exc: NotVisible):
        # Outside the user's scope or absent: the same answer, so scope does not leak.
        return _body(404, "not_found", str(exc))

    @app.errorhandler(BadQuery)
    def _bad_query(exc: BadQuery):
        return _body(400, "bad_request", str(exc))

    @app.errorhandler(AccessError)
    def _access(exc: AccessError):
        return _body(400, "bad_request", str(exc))

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        resp = _body(exc.code or 500, code, exc.description or exc.name)
        if isinstance(resp, tuple):
            return resp
        if exc.code == 405 and exc.valid_methods:
            resp.headers["Allow"] = ", ".join(exc.valid_methods)
        return resp

    @app.errorhandler(DBAPIError)
    @app.errorhandler(PoolTimeout)
    @app.errorhandler(DatabaseUnavailable)
    def _db_unavailable(exc: Exception):
        # The database is down, locked, read-only during a failover or out of connections: a
        # retry later can succeed, and 503 is what Kobo's REST Services retry (500 is not).
        log.warning("database unavailable: %s", exc.__class__.__name__)
        resp = _body(503, "database_unavailable", "Database unavailable, try again later")
        if isinstance(resp, tuple):
            return resp
        resp.headers["Retry-After"] = "30"
        return resp

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        log.exception("unhandled error")
        if request.path.startswith("/webhooks/"):
            # Kobo retries 503 and gives up on 500: a bug must not cost the delivery.
            resp = _body(503, "unavailable", "temporarily unable to store the submission")
            resp.headers["Retry-After"] = "30"
            return resp
        return _body(500, "internal_error", "Internal error; it has been logged")
