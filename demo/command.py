"""`pantau demo`: the whole pipeline on embedded defaults, in one terminal, loopback only.

Migrate, load Kota Cimahi, seed its IMP registry, start the Kobo sandbox, an SMTP sink, web,
worker and beat, publish the five forms to the sandbox with the real publishing code, submit a
month of sample data as ODK Collect would, wait for the worker to score it, print a summary, and
run until Ctrl-C. This module is the command and its flow; the steps live in demo.pipeline and
only orchestrate: the logic lives in core, in demo's data modules and in the processes it starts.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import click
from pydantic import SecretStr

from cli.common import settings_from
from config.settings import var_dir_setting
from demo.pipeline import (
    STEPS,
    prepare_database,
    print_alerts,
    print_summary,
    publish_forms,
    start_children,
    submit_samples,
    wait_processed,
)
from demo.processes import DEMO_ADMIN, DEMO_ENV, DEMO_PASSWORD, Supervisor, demo_secrets
from demo.steps import DemoFailed, Interrupted, Steps


@click.command()
@click.option("--port", default=5000, show_default=True, type=int, help="web service port")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--sandbox-port", default=8010, show_default=True, type=int, help="Kobo sandbox")
@click.option("--smtp-port", default=8025, show_default=True, type=int, help="SMTP sink port")
@click.pass_context
def demo(ctx: click.Context, port: int, host: str, sandbox_port: int, smtp_port: int) -> None:
    """Run the whole pipeline on embedded defaults with sample data, until Ctrl-C."""
    # The demo makes its own strong keys before settings are read, which require them; the
    # file keeping them is written only once the settings are good (nothing made otherwise).
    env_file = var_dir_setting() / DEMO_ENV
    demo_env = demo_secrets(env_file, write=False)
    os.environ.update(demo_env)
    base = settings_from(ctx)
    demo_secrets(env_file)
    var = Path(base.var_dir)
    log_dir = var / "logs"
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - a comparison
    web_url = f"http://{local}:{port}"
    kobo_url = f"http://127.0.0.1:{sandbox_port}"
    settings = _demo_settings(base, demo_env, kobo_url, web_url, smtp_port)
    env = _child_env(settings, demo_env, var, kobo_url, web_url, smtp_port)
    sup = Supervisor(env, log_dir)
    steps = Steps(STEPS, log_dir)

    def _stop(signum: int, _frame: object) -> None:
        steps.stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    code = 0
    try:
        ports = {"web": port, "sandbox": sandbox_port, "smtp": smtp_port}
        _run(steps, sup, settings, host, ports, demo_env, var)
        click.echo(
            f"Dasbor / dashboard: {web_url}/  login {DEMO_ADMIN}, kata sandi / password: "
            f"{DEMO_PASSWORD} in {var / DEMO_ENV}"
        )
        click.echo(
            f"Pantau is running at {web_url}  (readiness: {web_url}/readyz). Ctrl-C stops it."
        )
        while not steps.stopping:
            if dead := sup.dead():
                raise DemoFailed(f"{', '.join(dead)} exited", step="berjalan / running")
            time.sleep(0.5)
        click.echo("stopping…")
    except DemoFailed as exc:
        click.echo(
            f"pantau demo: langkah/step {exc.step} gagal/failed: {exc}\n  log: {log_dir}/*.log",
            err=True,
        )
        code = 1
    except Interrupted:
        click.echo("stopping…")
    finally:
        sup.stop()
    click.echo("stopped")
    if code:
        sys.exit(code)


def _demo_settings(
    base: Any, demo_env: dict[str, str], kobo_url: str, web_url: str, smtp_port: int
) -> Any:
    """The settings the demo runs on: its sandbox, its secrets, its SMTP sink."""
    return base.model_copy(
        update={
            "kobo_url": kobo_url,
            "kobo_token": SecretStr(demo_env["PANTAU_KOBO_TOKEN"]),
            "public_url": web_url,
            "webhook_username": demo_env["PANTAU_WEBHOOK_USERNAME"],
            "webhook_password": SecretStr(demo_env["PANTAU_WEBHOOK_PASSWORD"]),
            "webhook_token": SecretStr(demo_env["PANTAU_WEBHOOK_TOKEN"]),
            "smtp_url": SecretStr(f"smtp://127.0.0.1:{smtp_port}"),
        }
    )


def _child_env(
    settings: Any,
    demo_env: dict[str, str],
    var: Path,
    kobo_url: str,
    web_url: str,
    smtp_port: int,
) -> dict[str, str]:
    """The environment of every child: ours, the demo's secrets, and the same settings."""
    env = dict(os.environ)
    # Children need the webhook and sandbox secrets, not the dashboard password.
    env.update({k: v for k, v in demo_env.items() if k != DEMO_PASSWORD})
    env.update(
        {
            "PANTAU_VAR_DIR": str(var),
            "PANTAU_DATABASE_URL": settings.database_url,
            "PANTAU_BROKER_URL": settings.broker_url,
            "PANTAU_KOBO_URL": kobo_url,
            "PANTAU_PUBLIC_URL": web_url,
            "PANTAU_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def _run(
    steps: Steps,
    sup: Supervisor,
    settings: Any,
    host: str,
    ports: dict[str, int],
    demo_env: dict[str, str],
    var: Path,
) -> None:
    """The steps, from an empty database to the summary."""
    factory = prepare_database(steps, settings, demo_env[DEMO_PASSWORD])
    start_children(steps, sup, host, ports, demo_env["PANTAU_KOBO_TOKEN"], var)
    from core.clients.kobo import KoboClient

    with KoboClient.from_settings(settings, timeout=30) as kobo:
        assets = publish_forms(steps, settings, factory, kobo)
        month = submit_samples(steps, settings, kobo, assets, var)
        wait_processed(steps, factory, kobo, assets, sup)
    print_summary(steps, settings, factory, month, ports["smtp"], sup.log_dir)
    print_alerts(steps, factory, var / "mail", sup)
