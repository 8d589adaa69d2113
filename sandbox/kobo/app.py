"""The Flask app of the Kobo sandbox: kpi's v2 API, kobocat's OpenRosa endpoints, admin hooks.

This module is the factory: configuration, the `Sandbox` state, fault injection and error
handlers. Each resource's routes live in their own module (`assets`, `imports`, `files`,
`hooks_api`, `data`, `openrosa`, `admin`), as kpi splits `kpi/views/v2/`.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, Response, request

from sandbox.kobo import admin, assets, data, files, hooks_api, imports, openrosa
from sandbox.kobo.faults import Faults, parse_spec
from sandbox.kobo.hooks import HookDispatcher
from sandbox.kobo.responses import current_sandbox, detail
from sandbox.kobo.store import Store

BLUEPRINTS = (assets.bp, imports.bp, files.bp, hooks_api.bp, data.bp, openrosa.bp, admin.bp)


@dataclass
class SandboxConfig:
    """How a sandbox instance is set up."""

    token: str = "sandbox-token"
    owner: str = "pantau"
    owner_password: str = "pantau"
    users: dict[str, str] = field(default_factory=lambda: {"kader01": "kader01"})
    retry_scale: float = 1.0
    hook_timeout: float = 30.0
    # Deliveries in flight at once (kpi: its Celery workers).
    hook_concurrency: int = 32
    seed: int | None = None
    # Answer `processing` to this many polls of a finished import, so clients must poll.
    import_processing_polls: int = 1


class Sandbox:
    """State and collaborators of one running sandbox."""

    def __init__(self, store: Store, config: SandboxConfig, faults: Faults) -> None:
        self.store = store
        self.config = config
        self.faults = faults
        self.pages = data.PageLog()  # the data API's pages served, for tests
        self.hooks = HookDispatcher(
            store,
            faults,
            config.retry_scale,
            config.hook_timeout,
            seed=config.seed,
            concurrency=config.hook_concurrency,
        )
        # Deliveries a stopped sandbox left pending go out now, as kpi re-queues stalled ones.
        self.hooks.requeue_pending()


def fault_response(rule_status: int, retry_after: int | None) -> Response:
    """The answer an injected fault gives: DRF's throttle 429, or an edge server's HTML page."""
    if rule_status == 429:
        wait = retry_after if retry_after is not None else 1
        return detail(
            429,
            f"Request was throttled. Expected available in {wait} seconds.",
            **{"Retry-After": str(wait)},
        )
    # Edge errors (proxy, gunicorn) are HTML, not DRF JSON.
    reason = {
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }.get(rule_status, "Error")
    resp = Response(
        f"<html><body><h1>{rule_status} {reason}</h1></body></html>",
        status=rule_status,
        content_type="text/html",
    )
    if retry_after is not None:
        resp.headers["Retry-After"] = str(retry_after)
    return resp


def inject_faults() -> Response | None:
    """Before every request: apply the fault rules aimed at this path (`api`, `data`, ...)."""
    path = request.path
    if path.startswith("/__sandbox__"):
        return None
    targets: set[str] = set()
    if path.startswith("/api/v2/"):
        targets.add("api")
        if re.match(r"^/api/v2/assets/[^/]+/data/", path):
            targets.add("data")
    elif path.endswith("/submission"):
        targets.add("submission")
    if not targets:
        return None
    for rule in current_sandbox().faults.take(targets):
        if rule.action == "slow":
            time.sleep(rule.seconds)
        elif rule.status is not None:
            return fault_response(rule.status, rule.retry_after)
    return None


def not_found(_exc: Exception) -> Response:
    """DRF's 404 body for unknown paths."""
    return detail(404, "Not found.")


def not_allowed(_exc: Exception) -> Response:
    """DRF's 405 body."""
    return detail(405, f'Method "{request.method}" not allowed.')


def create_sandbox_app(
    db_path: str | Path = "var/sandbox-kobo.db",
    token: str = "sandbox-token",
    faults: str | list | None = None,
    retry_scale: float = 1.0,
    hook_timeout: float = 30.0,
    hook_concurrency: int = 32,
    owner: str = "pantau",
    users: dict[str, str] | None = None,
    seed: int | None = None,
    import_processing_polls: int = 1,
) -> Flask:
    """Build the sandbox's Flask app; the `Sandbox` is in `app.extensions["kobo_sandbox"]`."""
    config = SandboxConfig(
        token=token,
        owner=owner,
        retry_scale=retry_scale,
        hook_timeout=hook_timeout,
        hook_concurrency=hook_concurrency,
        seed=seed,
        import_processing_polls=import_processing_polls,
    )
    if users is not None:
        config.users = dict(users)
    rules = parse_spec(faults) if isinstance(faults, str) else list(faults or [])
    app = Flask("sandbox.kobo")
    app.json.sort_keys = False  # keep Kobo's key order (XML order, then system fields)
    app.json.ensure_ascii = True
    app.extensions["kobo_sandbox"] = Sandbox(Store(db_path), config, Faults(rules))
    app.before_request(inject_faults)
    app.register_error_handler(404, not_found)
    app.register_error_handler(405, not_allowed)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    return app
