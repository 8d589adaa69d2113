"""Run the app under gunicorn from Python, so `pantau serve` needs no separate command line."""

from __future__ import annotations

import runpy
from pathlib import Path

from gunicorn.app.base import BaseApplication

from config.settings import Settings

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


def run_gunicorn(settings: Settings, host: str, port: int, workers: int | None) -> None:
    """Serve the app with gunicorn until stopped."""
    _Server(settings, {"bind": f"{host}:{port}", "workers": workers}).run()
