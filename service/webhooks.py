"""`POST /webhooks/kobo`: KoboToolbox REST Services deliver each new submission here.

Store first, answer at once: 202 for a new submission, 200 for a duplicate delivery, 4xx (with a
dead letter) for a body that can never be accepted, 503 when we cannot store right now (the
only kind of failure Kobo retries), never 500. Scoring happens later, in a worker: the stored
id goes to the process's sender thread (`service.enqueue`), which batches ids into few broker
messages, so a broker that hangs never holds a delivery (the periodic process_pending picks up
what was not enqueued).
"""

from __future__ import annotations

import base64
import hmac
import logging
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from werkzeug.exceptions import ClientDisconnected
from werkzeug.wsgi import get_input_stream

from config.settings import Settings
from core.domain.errors import PantauError
from core.domain.submissions import IntakeRejected, Refusal
from core.store.db import webhook_delivery
from core.usecases.intake import dead_letter, receive_body
from service.access import PUBLIC, access
from service.db import get_session
from service.errors import ApiError, refusal_status

bp = Blueprint("webhooks", __name__)
log = logging.getLogger("pantau.webhooks")
READ_CHUNK = 65536


def _equal(given: str, expected: str) -> bool:
    return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())


def _authorised(settings: Settings) -> bool:
    token = settings.webhook_token.get_secret_value()
    if token and _equal(request.headers.get("X-Pantau-Token", ""), token):
        return True
    user, password = settings.webhook_username, settings.webhook_password.get_secret_value()
    header = request.headers.get("Authorization", "")
    if user and password and header.startswith("Basic "):
        try:
            given_user, _, given_pw = base64.b64decode(header[6:]).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        # Evaluate both comparisons so timing does not reveal which part was wrong.
        ok_user, ok_pw = _equal(given_user, user), _equal(given_pw, password)
        return ok_user and ok_pw
    return False


def _read_body(limit: int) -> tuple[bytes, bool, bool]:
    """(the body, cut at limit; whether it was larger; whether the sender stopped short).

    Read at most limit+1 bytes ourselves so an oversized body is refused (and kept, cut short,
    as a dead letter) instead of Werkzeug aborting before we can record it. get_input_stream
    bounds the read by Content-Length (never blocking past the body); a sender that sends
    fewer bytes than it announced is refused too, with what did arrive kept.
    """
    stream = get_input_stream(request.environ, max_content_length=None)
    chunks: list[bytes] = []
    size = 0
    try:
        while size <= limit:
            chunk = stream.read(min(READ_CHUNK, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except ClientDisconnected:
        return b"".join(chunks)[:limit], False, True
    body = b"".join(chunks)
    return body[:limit], len(body) > limit, False


@bp.post("/webhooks/kobo")
@access(PUBLIC, reads="nothing: its own Basic or X-Pantau-Token credentials")
def kobo():
    """Receive one Kobo submission."""
    settings: Settings = current_app.extensions["pantau.settings"]
    metrics = current_app.extensions["pantau.metrics"]
    if not _authorised(settings):
        metrics.webhook_auth_failures.inc()
        raise ApiError(401, "missing or wrong credentials", "unauthorized")

    body, too_big, cut_short = _read_body(settings.webhook_max_bytes)
    with webhook_delivery(settings.database_url):
        return _store(settings, metrics, body, too_big, cut_short)


def _store(settings: Settings, metrics: Any, body: bytes, too_big: bool, cut_short: bool) -> Any:
    """Store the delivery (or its refusal) and answer."""
    session = get_session()
    try:
        result = receive_body(
            session,
            body,
            source="webhook",
            secret=current_app.extensions["pantau.keyring"],
            refused=_refusal(settings, too_big, cut_short),
            content_type=request.content_type,
            headers={"User-Agent": request.headers.get("User-Agent", "")[:200]},
        )
        session.commit()
        # Give the connection back now, not at teardown: with SQLite a process has one, and
        # its other threads wait for it while this one builds and logs the answer.
        session.close()
    except SQLAlchemyError:
        session.rollback()
        metrics.webhook_deliveries.labels("unavailable").inc()
        raise  # -> 503 in service/errors.py: Kobo retries it, and the pull is the safety net
    except Exception as exc:
        session.rollback()
        if isinstance(exc, PantauError) and exc.retryable:
            # E.g. this process still runs on pseudonym keys a rotation replaced: storing now
            # would split families; Kobo retries a 503 and the pull catches up after a restart.
            log.error("webhook delivery not stored: %s", exc)
        else:
            # A bug must not lose the delivery: keep the body, and answer 503 so Kobo retries
            # it (after a fix, the retry or the pull stores it).
            log.exception("webhook delivery failed unexpectedly")
            _keep_after_bug(session, body)
        metrics.webhook_deliveries.labels("unavailable").inc()
        raise ApiError(503, "temporarily unable to store the submission", "unavailable") from None

    if result.outcome == "rejected":
        metrics.webhook_deliveries.labels("rejected").inc()
        log.info("webhook delivery refused: %s", result.reason)
        raise ApiError(refusal_status(result.refusal), result.reason or "", "rejected")
    if result.outcome == "duplicate":
        metrics.webhook_deliveries.labels("duplicate").inc()
        return jsonify({"status": "duplicate", "submission": result.submission_id}), 200
    metrics.webhook_deliveries.labels("stored").inc()
    response = jsonify({"status": "accepted", "submission": result.submission_id})
    response.status_code = 202
    if result.process_id is not None:
        # Committed: hand the id to this process's sender thread (service.enqueue); the
        # answer never waits for the broker.
        current_app.extensions["pantau.enqueue"].add(result.process_id)
    return response


def _refusal(settings: Settings, too_big: bool, cut_short: bool) -> IntakeRejected | None:
    if too_big:
        return IntakeRejected(
            f"body larger than {settings.webhook_max_bytes} bytes", Refusal.TOO_LARGE
        )
    if cut_short:
        return IntakeRejected(
            f"body cut short: Content-Length {request.content_length}, fewer bytes arrived"
        )
    if request.mimetype not in ("application/json", ""):
        return IntakeRejected(
            f"content type {request.mimetype!r}: configure the REST Service to send JSON",
            Refusal.UNSUPPORTED_TYPE,
        )
    return None


def _keep_after_bug(session: Session, body: bytes) -> None:
    try:
        dead_letter(
            session,
            source="webhook",
            reason="internal error while storing (see logs); retried by Kobo",
            body=body,
            content_type=request.content_type,
            headers={"User-Agent": request.headers.get("User-Agent", "")[:200]},
        )
        session.commit()
    except SQLAlchemyError:
        session.rollback()
