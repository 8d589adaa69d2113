"""Liveness, readiness and metrics endpoints."""

from __future__ import annotations

import os

from flask import Blueprint, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import text

from service.access import PUBLIC, access

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@access(PUBLIC, reads="nothing")
def healthz():
    """The process is up."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
@access(PUBLIC, reads="database and broker reachability")
def readyz():
    """Database and broker reachable; 503 naming what failed otherwise."""
    checks: dict[str, dict] = {}
    try:
        with current_app.extensions["pantau.engine"].connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = {"ok": True}
    except Exception as exc:
        checks["database"] = {"ok": False, "error": exc.__class__.__name__}
    try:
        celery = current_app.extensions["pantau.celery"]
        with celery.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        checks["broker"] = {"ok": True}
    except Exception as exc:
        checks["broker"] = {"ok": False, "error": exc.__class__.__name__}
    ok = all(c["ok"] for c in checks.values())
    return jsonify({"status": "ok" if ok else "unavailable", "checks": checks}), 200 if ok else 503


@bp.get("/metrics")
@access(PUBLIC, reads="request counters")
def metrics():
    """Prometheus text exposition: every gunicorn worker's counts added up (one reading).

    Under `pantau serve` each worker writes its counts into PROMETHEUS_MULTIPROC_DIR; without
    it (tests, --dev) the process's own registry is read.
    """
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        MultiProcessCollector(registry)
    else:
        registry = current_app.extensions["pantau.metrics"].registry
    return generate_latest(registry), 200, {"Content-Type": CONTENT_TYPE_LATEST}
