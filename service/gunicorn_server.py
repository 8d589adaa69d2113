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


def run_gunicorn(
    settings: Settings, host: str, port: int, workers: int | None, threads: int | None = None
) -> None:
    """Serve the app with gunicorn until stopped."""
    use_shared_metrics(settings)
    options = {"bind": f"{host}:{port}", "workers": workers, "threads": threads}
    _Server(settings, options).run()
