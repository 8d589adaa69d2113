"""The two servers the webhook benchmark loads, each gunicorn with 2 workers on loopback.

`pantau serve` as deployed (the webhook), and the baseline `bench.bare_app` under Pantau's own
gunicorn config file. Each runs in its own process group from the work dir, with an environment
cleared of the developer's PANTAU_ and BENCH_ variables, its output in `<name>.log`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from bench.common import BENCH_KEYS, ROOT, BenchFailure

BIN = ROOT / ".venv" / "bin"
TOKEN = "bench-webhook-token"  # noqa: S105 - a throwaway secret for a private loopback server
# The headers a Kobo REST Service configured for Pantau sends (its token as a custom header).
WEBHOOK_HEADERS = [f"X-Pantau-Token: {TOKEN}", "User-Agent: KoboToolbox external service #hB"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A gunicorn server in its own process group; stopped (and waited for) by stop()."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], workdir: Path) -> None:
        self.name = name
        self.port = _free_port()
        self.log = workdir / f"{name}.log"
        self._fh = open(self.log, "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [a.replace("@PORT@", str(self.port)) for a in args],
            env=env,
            cwd=workdir,  # no developer's .env is read from here
            stdout=self._fh,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def base(self) -> str:
        """Base URL of the server."""
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout: float = 30) -> None:
        """Block until GET /healthz answers 200, or fail with the server's log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(self.base + "/healthz", timeout=1) as resp:  # noqa: S310
                    if resp.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise BenchFailure(f"{self.name} did not become ready:\n{self.tail()}")

    def tail(self, lines: int = 20) -> str:
        """The last lines the server printed."""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        """SIGTERM the process group (gunicorn and its workers), SIGKILL if it lingers."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self._fh.close()


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PANTAU_", "BENCH_"))}
    env["PYTHONPATH"] = str(ROOT)
    env.update(extra)
    return env


def start_bare(backend: str, database_url: str, workdir: Path) -> Server:
    """The baseline app (`POST /bare`, `POST /echo`) on database_url."""
    gunicorn_conf = str(ROOT / "service" / "gunicorn_conf.py")
    return Server(
        f"bare-{backend}",
        [
            str(BIN / "gunicorn"),
            "-c",
            gunicorn_conf,
            "--workers",
            "2",
            "--bind",
            "127.0.0.1:@PORT@",
            "bench.bare_app:create_bare_app()",
        ],  # fmt: skip
        # Pantau's gunicorn config reads the settings (issue 15 checks them): the same as the
        # webhook's, so both servers run under the same configuration.
        _env(
            {
                "BENCH_DATABASE_URL": database_url,
                "PANTAU_LOG_LEVEL": "WARNING",
                "PANTAU_DATABASE_URL": database_url,
                "PANTAU_VAR_DIR": str(workdir / "var"),
                "PANTAU_ENV": "test",
                "PANTAU_SECRET_KEY": BENCH_KEYS["secret_key"],
                "PANTAU_PSEUDONYM_KEY": BENCH_KEYS["pseudonym_key"],
            }
        ),
        workdir,
    )


def start_webhook(backend: str, database_url: str, broker_url: str, workdir: Path) -> Server:
    """`pantau serve` on database_url, enqueueing on broker_url, at its default log level."""
    return Server(
        f"webhook-{backend}",
        [
            str(BIN / "pantau"),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "@PORT@",
            "--workers",
            "2",
        ],  # fmt: skip
        _env(
            {
                "PANTAU_DATABASE_URL": database_url,
                "PANTAU_BROKER_URL": broker_url,
                "PANTAU_VAR_DIR": str(workdir / "var"),
                "PANTAU_ENV": "test",
                "PANTAU_SECRET_KEY": BENCH_KEYS["secret_key"],
                "PANTAU_PSEUDONYM_KEY": BENCH_KEYS["pseudonym_key"],
                "PANTAU_WEBHOOK_TOKEN": TOKEN,
            }
        ),
        workdir,
    )
