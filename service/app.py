"""Flask application factory."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, g, request

from config.settings import Settings, get_settings
from core.domain.privacy import Keyring, blank_numbers
from core.store.db import make_engine, make_session_factory
from service.access import configure_sessions, install_access
from service.enqueue import processing_enqueuer
from service.errors import ApiError, register_errors
from service.logs import configure_logging
from service.metrics import Metrics
from workers.celery_app import make_celery

log = logging.getLogger("pantau.access")


def create_app(settings: Settings | None = None) -> Flask:
    """Build the web app for settings (the process's own when None)."""
    settings = settings or get_settings()
    configure_logging(settings.log_level)
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=settings.secret_key.get_secret_value(),
        MAX_CONTENT_LENGTH=settings.webhook_max_bytes,
        JSON_SORT_KEYS=False,
    )
    engine = make_engine(settings)
    app.extensions["pantau.settings"] = settings
    app.extensions["pantau.engine"] = engine
    app.extensions["pantau.sessions"] = make_session_factory(engine)
    app.extensions["pantau.celery"] = _producer(settings)
    app.extensions["pantau.enqueue"] = processing_enqueuer(app.extensions["pantau.celery"])
    app.extensions["pantau.metrics"] = Metrics()
    app.extensions["pantau.keyring"] = Keyring(settings.pseudonym_keys)

    configure_sessions(app, settings.public_url)
    _install_request_hooks(app)
    register_errors(app)

    from service.health import bp as health_bp

    app.register_blueprint(health_bp)
    _register_optional_blueprints(app)
    install_access(app)  # last: it checks that every route registered above declares access
    return app


# A broker that accepts connections and never answers must not hold a web worker: every read
# and connect on a Redis broker gives up after this many seconds (the producer only; a
# worker's blocking reads are longer by design).
BROKER_SOCKET_TIMEOUT = 3.0


def _producer(settings: Settings):
    celery = make_celery(settings)
    if settings.broker_url.startswith("redis"):
        celery.conf.broker_transport_options = {
            "socket_timeout": BROKER_SOCKET_TIMEOUT,
            "socket_connect_timeout": BROKER_SOCKET_TIMEOUT,
        }
    return celery


def _register_optional_blueprints(app: Flask) -> None:
    import importlib

    for module in ("service.webhooks", "service.api", "service.dashboard"):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name == module:
                continue
            raise
        app.register_blueprint(mod.bp)


# What a proxy's request id may look like; it is logged and sent back as given.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,100}\Z")


def _request_id(given: str | None) -> str:
    """The request's id: the proxy's when it is a plain short token, else a fresh one.

    Never a KK/NIK-shaped number: it goes into every log line of the request, unblanked (a
    fresh uuid hex has a run of 16 decimal digits about once in 200).
    """
    if given and _REQUEST_ID.match(given) and blank_numbers(given) == given:
        return given
    while True:
        fresh = uuid.uuid4().hex
        if blank_numbers(fresh) == fresh:
            return fresh


def _install_request_hooks(app: Flask) -> None:
    metrics: Metrics = app.extensions["pantau.metrics"]

    @app.before_request
    def _start() -> None:
        # Honour a request id from a proxy so logs join up across hops.
        g.request_id = _request_id(request.headers.get("X-Request-Id"))
        g.started = time.perf_counter()
        # PostgreSQL refuses NUL in text: a NUL in the path or a parameter is a bad request,
        # never a database error.
        if "\x00" in request.path or any("\x00" in v for v in request.args.values()):
            raise ApiError(400, "NUL characters are not allowed", "bad_request")

    @app.after_request
    def _finish(response):
        endpoint = request.url_rule.rule if request.url_rule else "unmatched"
        elapsed = time.perf_counter() - getattr(g, "started", time.perf_counter())
        metrics.requests.labels(endpoint, request.method, str(response.status_code)).inc()
        metrics.latency.labels(endpoint).observe(elapsed)
        response.headers["X-Request-Id"] = g.request_id
        log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "event": "request",
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round(elapsed * 1000, 2),
            },
        )
        return response

    @app.teardown_appcontext
    def _close_session(exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            if exc is not None:
                session.rollback()
            session.close()
