"""A KoboToolbox-compatible server for tests and the demo; never imported by production code."""

from __future__ import annotations

from pathlib import Path

from sandbox.kobo.app import Sandbox, create_sandbox_app
from sandbox.kobo.instance import build_instance_xml, rewrite_root_id

__all__ = [
    "Sandbox",
    "build_instance_xml",
    "create_sandbox_app",
    "rewrite_root_id",
    "run_sandbox",
]


def run_sandbox(
    host: str = "127.0.0.1",
    port: int = 8010,
    db_path: str | Path = "var/sandbox-kobo.db",
    token: str = "sandbox-token",
    faults: str | None = None,
    retry_scale: float = 1.0,
    hook_concurrency: int = 32,
) -> None:
    """Serve the sandbox until interrupted (threaded werkzeug server)."""
    from werkzeug.serving import run_simple

    app = create_sandbox_app(
        db_path,
        token=token,
        faults=faults,
        retry_scale=retry_scale,
        hook_concurrency=hook_concurrency,
    )
    run_simple(host, port, app, threaded=True, use_reloader=False)
