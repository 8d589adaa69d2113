"""The demo's child processes and the checks around them: start, stop, ports, readiness, secrets.

Nothing here knows the pipeline; demo.pipeline starts the children and waits for them.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from core.store.files import private_dir

DEMO_ENV = "demo.env"
DEMO_ADMIN = "admin-demo"
DEMO_PASSWORD = "PANTAU_DEMO_ADMIN_PASSWORD"  # noqa: S105 - the name of the variable


class Supervisor:
    """Starts child processes in their own process groups and stops them all together."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.children: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, *args: str, module: str = "cli") -> subprocess.Popen:
        """Run `python -m <module> <args>` (`pantau <args>`) as a child, logging to <name>.log."""
        private_dir(self.log_dir)
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the child
        proc = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()  # the child holds its own descriptor
        self.children.append((name, proc))
        return proc

    def dead(self) -> list[str]:
        """Names of children that have exited."""
        return [name for name, proc in self.children if proc.poll() is not None]

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM every child (each shuts its own pool down), SIGKILL its group after timeout."""
        for _, proc in reversed(self.children):
            if proc.poll() is None:
                proc.terminate()
        deadline = time.monotonic() + timeout
        for _, proc in self.children:
            try:
                proc.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        for _, proc in self.children:
            # Orphaned grandchildren (a pool process that outlived its parent) go too.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)


def wait_until(probe: Callable[[], bool], give_up: Callable[[], bool], timeout: float) -> bool:
    """Poll probe until it is true; False after timeout or as soon as give_up() is true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not give_up():
        if probe():
            return True
        time.sleep(0.3)
    return False


def http_ok(url: str, headers: dict[str, str] | None = None) -> bool:
    """Whether url answers 200 right now."""
    try:
        req = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback URL
        with urllib.request.urlopen(req, timeout=2) as resp:  # noqa: S310 - loopback URL
            return resp.status == 200
    except OSError:
        return False


def smtp_ok(host: str, port: int) -> bool:
    """Whether an SMTP server greets on host:port right now."""
    try:
        with socket.create_connection((host, port), timeout=2) as s:
            return s.recv(64).startswith(b"220")
    except OSError:
        return False


def wait_ready(url: str, give_up: Callable[[], bool], timeout: float = 60) -> bool:
    """Poll url until it answers 200; False after timeout or as soon as give_up() is true."""
    return wait_until(lambda: http_ok(url), give_up, timeout)


def port_free(host: str, port: int) -> bool:
    """Whether a TCP port can be bound on host right now."""
    with socket.socket() as s:
        # As the servers do: connections of a previous run in TIME_WAIT must not count.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def demo_secrets(path: Path, *, write: bool = True) -> dict[str, str]:
    """The demo's keys, webhook credentials and sandbox token: made once into var/demo.env.

    The file is (re)written 0600 on every run, so one left readable by an older run is not.
    With `write=False` the values are only read or made (write them with `write_demo_env`).
    """
    wanted: dict[str, Callable[[], str]] = {
        "PANTAU_SECRET_KEY": lambda: secrets.token_urlsafe(32),
        "PANTAU_PSEUDONYM_KEY": lambda: secrets.token_urlsafe(32),
        "PANTAU_WEBHOOK_USERNAME": lambda: "kobo-demo",
        "PANTAU_WEBHOOK_PASSWORD": lambda: secrets.token_urlsafe(24),
        "PANTAU_WEBHOOK_TOKEN": lambda: secrets.token_urlsafe(24),
        "PANTAU_KOBO_TOKEN": lambda: secrets.token_hex(20),
        # The dashboard login of the demo admin (DEMO_ADMIN), printed by name only.
        DEMO_PASSWORD: lambda: secrets.token_urlsafe(18),
    }
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep and not key.startswith("#"):
                values[key.strip()] = value.strip()
    for key in wanted:
        # A key the environment sets wins: the demo then runs on the operator's own keys.
        values[key] = os.environ.get(key) or values.get(key) or wanted[key]()
    if write:
        write_demo_env(path, values)
    return {k: values[k] for k in wanted}


def write_demo_env(path: Path, values: dict[str, str]) -> None:
    """Write the demo's secrets to path, 0600 in a private folder."""
    private_dir(path.parent)
    text = (
        "# Made by `pantau demo`: the demo's keys, webhook credentials, sandbox token and the "
        f"dashboard password of {DEMO_ADMIN}.\n"
    )
    text += "".join(f"{k}={v}\n" for k, v in values.items())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # O_CREAT's mode applies only to a new file
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
