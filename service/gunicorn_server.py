"""Run the app under gunicorn from Python, so `pantau serve` needs no separate command line."""

from __future__ import annotations

import os
import runpy
import sys
import tempfile
from pathlib import Path

from gunicorn.app.base import BaseApplication

from config.settings import Settings
from core.store.files import private_dir

CONF = Path(__file__).with_name("gunicorn_conf.py")


class _Server(BaseApplication):
    def __init__(self, settings: Settings, options: dict) -> None:
        self._settings = settings
        self._options = options
        super().__init__()

    def load_config(self) -> None:
        # Defaults from the shared config file, then what the command line said.
        for key, value in runpy.run_path(str(CONF)).items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)
        for key, value in self._options.items():
            if value is not None:
                self.cfg.set(key, value)

    def load(self):
        from service.app import create_app

        return create_app(self._settings)


def use_shared_metrics(settings: Settings) -> str:
    """Make every worker count into one folder, so /metrics answers the same from any of them.

    prometheus-client reads PROMETHEUS_MULTIPROC_DIR when it is first imported: this runs
    before the workers import it. A folder set by the operator is used as it is.
    """
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        if "prometheus_client" in sys.modules:
            raise RuntimeError("prometheus_client was imported before the metrics folder was set")
        folder = tempfile.mkdtemp(prefix="metrics-", dir=private_dir(settings.var_dir))
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
        os.environ["PANTAU_METRICS_DIR_MADE"] = folder  # removed on exit (gunicorn_conf)
    return os.environ["PROMETHEUS_MULTIPROC_DIR"]


def bind_address(settings: Settings, host: str | None, port: int | None) -> str:
    """PANTAU_BIND, with the host or port a command line gave instead."""
    if host is None and port is None:
        return settings.bind
    default_host, _, default_port = settings.bind.rpartition(":")
    if settings.bind.startswith("unix:"):
        default_host, default_port = "127.0.0.1", "5000"
    return f"{host or default_host}:{port or default_port}"


def run_gunicorn(
    settings: Settings,
    host: str | None,
    port: int | None,
    workers: int | None,
    threads: int | None = None,
) -> None:
    """Serve the app with gunicorn until stopped (unset options come from settings)."""
    use_shared_metrics(settings)
    options = {
        "bind": bind_address(settings, host, port),
        "workers": workers or settings.web_workers,
        "threads": threads or settings.web_threads,
        "loglevel": settings.log_level.lower(),
    }
    _Server(settings, options).run()
