"""`pantau demo`: the whole pipeline on embedded defaults, in one terminal."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import click

from cli.main import settings_from

DEMO_PREFIX = "32.77"  # Kota Cimahi: 3 kecamatan, 15 kelurahan


class Supervisor:
    """Starts child processes in their own process groups and stops them all together."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.children: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, *args: str) -> subprocess.Popen:
        """Run `pantau <args>` as a child, its output in var/logs/<name>.log."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 - closed with the child
        proc = subprocess.Popen(
            [sys.executable, "-m", "cli", *args],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
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


def wait_ready(url: str, give_up: Callable[[], bool], timeout: float = 60) -> bool:
    """Poll url until it answers 200; False after timeout or as soon as give_up() is true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not give_up():
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:  # noqa: S310 - loopback URL
                if resp.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(0.3)
    return False


@click.command()
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.pass_context
def demo(ctx: click.Context, port: int, host: str) -> None:
    """Migrate, load Kota Cimahi, and run web + worker + beat until Ctrl-C."""
    settings = settings_from(ctx)
    from core.db import make_engine, make_session_factory, session_scope
    from core.migrate import upgrade
    from core.wilayah import load_wilayah

    click.echo(f"[1/3] database {settings.database_url}")
    engine = make_engine(settings)
    upgrade(engine)
    with session_scope(make_session_factory(engine)) as session:
        n = load_wilayah(session, DEMO_PREFIX)
    click.echo(f"[2/3] wilayah: {n} regions of Kota Cimahi ({DEMO_PREFIX}) loaded")

    env = dict(os.environ)
    env.update(
        {
            "PANTAU_VAR_DIR": str(settings.var_dir),
            "PANTAU_DATABASE_URL": settings.database_url,
            "PANTAU_BROKER_URL": settings.broker_url,
        }
    )
    sup = Supervisor(env, settings.var_dir / "logs")
    stopping = False

    def _stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        click.echo("[3/3] starting web, worker and beat (logs in var/logs/)")
        sup.start("web", "serve", "--host", host, "--port", str(port), "--workers", "2")
        sup.start("worker", "worker", "--concurrency", "2")
        sup.start("beat", "beat")
        url = f"http://{host}:{port}"
        if not wait_ready(f"{url}/readyz", lambda: stopping or bool(sup.dead())):
            if stopping:
                return
            click.echo(f"pantau demo: web service not ready; see {sup.log_dir}", err=True)
            sys.exit(1)
        click.echo(f"Pantau is running at {url}  (readiness: {url}/readyz). Ctrl-C stops it.")
        while not stopping:
            if dead := sup.dead():
                click.echo(f"pantau demo: {', '.join(dead)} exited; see {sup.log_dir}", err=True)
                sys.exit(1)
            time.sleep(0.5)
        click.echo("stopping…")
    finally:
        sup.stop()
    click.echo("stopped")
