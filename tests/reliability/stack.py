"""A whole Pantau on loopback for the failure scenarios, built from real parts.

The Kobo sandbox (compressed hook retries, fault injection), our gunicorn web, Celery worker
and beat subprocesses, the private PostgreSQL and Redis of scripts/services.sh, and a real
SMTP server (aiosmtpd). Every process is stopped when the scenario ends, whatever happened.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from tests.conftest import PANTAU, free_port, make_settings, pantau_env
from tests.support.kobo_sandbox import SandboxServer, start_kobo_sandbox
from tests.support.mail import SmtpSink
from tests.support.processes import Proc, wait_for
from tests.support.submissions import DESA, PublishedForm, add_hook, publish_in_sandbox

# One TPPS for the desa every survey comes from: each family visit with a finding is one
# e-mail to it (kecamatan TPPS and PKB are left out: they get digests and tier drops).
RECIPIENTS = f"name,wilayah,channel,address,language,role\nTPPS Melong,{DESA},email,tpps.melong@example.go.id,id,tpps\n"


@dataclass
class Stack:
    """The running parts of one scenario and the commands a scenario drives them with."""

    sandbox: SandboxServer
    settings: Settings
    factory: sessionmaker[Session]
    tmp: Path
    meeting: PublishedForm
    family: PublishedForm
    sink: SmtpSink | None = None
    url: str = ""
    procs: list[Proc] = field(default_factory=list)

    def env(self) -> dict[str, str]:
        """Environment of a `pantau` subprocess of this stack."""
        return pantau_env(self.settings)

    def serve(self, workers: int = 2) -> Proc:
        """Start gunicorn and wait until it answers."""
        port = free_port()
        web = Proc(
            ["serve", "--port", str(port), "--workers", str(workers)],
            self.env(),
            self.tmp / "web.log",
        )
        self.procs.append(web)
        self.url = f"http://127.0.0.1:{port}"
        wait_for(
            lambda: _ok(self.url + "/healthz"), timeout=60, what=lambda: f"web up\n{web.output()}"
        )
        return web

    def start_worker(
        self, name: str = "worker", queues: str | None = None, concurrency: int = 2
    ) -> Proc:
        """Start a Celery worker (all queues unless told)."""
        args = ["worker", "--concurrency", str(concurrency)]
        if queues:
            args += ["--queues", queues]
        proc = Proc(args, self.env(), self.tmp / f"{name}.log")
        self.procs.append(proc)
        return proc

    def start_beat(self) -> Proc:
        """Start the beat scheduler (periodic pull, deliver_due, process_pending)."""
        proc = Proc(["beat"], self.env(), self.tmp / "beat.log")
        self.procs.append(proc)
        return proc

    def cli(self, *args: str, ok: tuple[int, ...] = (0,), timeout: float = 600) -> str:
        """Run `pantau ARGS`; fail the test on an unexpected exit code."""
        proc = subprocess.run(
            [PANTAU, *args], env=self.env(), capture_output=True, text=True, timeout=timeout
        )
        assert proc.returncode in ok, (args, proc.returncode, proc.stdout + proc.stderr)
        return proc.stdout + proc.stderr

    def send_task(self, name: str, queue: str, **kwargs: Any) -> None:
        """Send a task by name, as the beat does."""
        from workers.celery_app import make_celery

        app = make_celery(self.settings)
        try:
            app.send_task(name, kwargs=kwargs, queue=queue)
        finally:
            app.close()

    def catch_up(self) -> None:
        """What the beat's safety nets do: process what was stored, send what is due."""
        from workers.celery_app import QUEUE_ALERTS, QUEUE_INTAKE

        self.send_task("pantau.process_pending", QUEUE_INTAKE, limit=5000, older_than_seconds=0)
        self.send_task("pantau.deliver_due", QUEUE_ALERTS)

    def hook(self, form: PublishedForm, name: str = "Pantau") -> str:
        """Register our webhook as a REST Service of form in the sandbox."""
        return add_hook(self.sandbox, form.asset_uid, self.url + "/webhooks/kobo", name)

    def import_recipients(self) -> None:
        """Register the desa's TPPS as the alerts' recipient."""
        path = self.tmp / "recipients.csv"
        path.write_text(RECIPIENTS, encoding="utf-8")
        self.cli("recipients", "import", str(path))


def _ok(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


@contextmanager
def running_stack(
    settings: Settings,
    factory: sessionmaker[Session],
    tmp: Path,
    *,
    retry_scale: float = 0.001,
    smtp: bool = False,
    web: bool = True,
    **overrides: Any,
) -> Iterator[Stack]:
    """Sandbox, both forms published, settings (overrides applied), optionally web and SMTP."""
    sink = SmtpSink() if smtp else None
    with start_kobo_sandbox(
        tmp / "kobo.db", retry_scale=retry_scale, hook_timeout=10, seed=3
    ) as sandbox:
        if sink is not None:
            overrides.setdefault("smtp_url", sink.url)
            overrides.setdefault("public_url", "https://pantau.example.go.id")
        s = make_settings(
            tmp,
            database_url=settings.database_url,
            kobo_url=sandbox.base_url,
            kobo_token=sandbox.token,
            **overrides,
        )
        with factory() as session:
            meeting = publish_in_sandbox(sandbox, session, "pertemuan_imp")
            family = publish_in_sandbox(sandbox, session, "keluarga_risiko")
        st = Stack(sandbox, s, factory, tmp, meeting, family, sink)
        try:
            if sink is not None:
                sink.start()
                st.import_recipients()
            if web:
                st.serve()
            yield st
        finally:
            for proc in reversed(st.procs):
                proc.stop()
            if sink is not None:
                sink.stop()


def run_ctl(env_var: str, *args: str) -> None:
    """Stop or start a private service through the command scripts/services.sh exported."""
    ctl = os.environ[env_var].split()
    subprocess.run([*ctl, *args], check=True, capture_output=True, timeout=120)
