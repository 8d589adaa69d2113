"""`pantau demo`: the whole pipeline on embedded defaults, in one terminal, loopback only.

Migrate, load Kota Cimahi, seed its IMP registry, start the Kobo sandbox, an SMTP sink, web,
worker and beat, publish the five forms to the sandbox with the real publishing code, submit a
month of sample data as ODK Collect would, wait for the worker to score it, print a summary, and
run until Ctrl-C. The steps only orchestrate: the logic lives in core (demo.data, publishing,
the Kobo client) and in the processes it starts.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from pydantic import SecretStr

from cli.main import settings_from

DEMO_PREFIX = "32.77"  # Kota Cimahi: 3 kecamatan, 15 kelurahan
# Profiles first: a tier needs the profile, and a kader fills it at the start of a period.
DEMO_FORMS = (
    "profil_imp",
    "pertemuan_imp",
    "kie_konseling",
    "laporan_bulanan_imp",
    "keluarga_risiko",
)
DEMO_ENV = "demo.env"
SAMPLES_MARKER = "demo-samples.json"
STEPS = 8
PROCESS_TIMEOUT = 180.0


class DemoFailed(Exception):
    """A demo step failed; the message says why, `step` which step it was."""

    def __init__(self, reason: str, step: str | None = None) -> None:
        super().__init__(reason)
        self.step = step


class Interrupted(Exception):
    """Ctrl-C (SIGINT) or SIGTERM asked the demo to stop."""


class Supervisor:
    """Starts child processes in their own process groups and stops them all together."""

    def __init__(self, env: dict[str, str], log_dir: Path) -> None:
        self.env = env
        self.log_dir = log_dir
        self.children: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, *args: str, module: str = "cli") -> subprocess.Popen:
        """Run `python -m <module> <args>` (`pantau <args>`) as a child, logging to <name>.log."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
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


def demo_secrets(path: Path) -> dict[str, str]:
    """Webhook credentials and the sandbox token: made once into var/demo.env, reused after."""
    wanted: dict[str, Callable[[], str]] = {
        "PANTAU_WEBHOOK_USERNAME": lambda: "kobo-demo",
        "PANTAU_WEBHOOK_PASSWORD": lambda: secrets.token_urlsafe(24),
        "PANTAU_WEBHOOK_TOKEN": lambda: secrets.token_urlsafe(24),
        "PANTAU_KOBO_TOKEN": lambda: secrets.token_hex(20),
    }
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text().splitlines():
            key, sep, value = line.partition("=")
            if sep and not key.startswith("#"):
                values[key.strip()] = value.strip()
    missing = [k for k in wanted if not values.get(k)]
    if missing:
        for key in missing:
            values[key] = wanted[key]()
        path.parent.mkdir(parents=True, exist_ok=True)
        text = "# Made by `pantau demo`: the demo's webhook credentials and sandbox token.\n"
        text += "".join(f"{k}={v}\n" for k, v in values.items())
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
    return {k: values[k] for k in wanted}


class Steps:
    """Numbered progress lines; an error inside a step names the step and where the logs are."""

    def __init__(self, total: int, log_dir: Path) -> None:
        self.total = total
        self.log_dir = log_dir
        self.n = 0
        # Set by the signal handler. Work stops at the next check, never in the middle of a
        # publish (ODK Validate's Java and its watchdog thread must finish or be cleaned up).
        self.stopping = False

    def check(self) -> None:
        """Raise Interrupted if a stop was asked for."""
        if self.stopping:
            raise Interrupted

    @contextlib.contextmanager
    def step(self, title: str) -> Iterator[None]:
        """Print `[n/total] title`; turn a failure into DemoFailed naming this step."""
        self.check()
        self.n += 1
        here = f"{self.n}/{self.total} ({title})"
        click.echo(f"[{self.n}/{self.total}] {title}")
        try:
            yield
        except Interrupted:
            raise
        except Exception as exc:  # noqa: BLE001 - any failure ends the demo with its step named
            if self.stopping:
                # Ctrl-C in a terminal also reaches our own subprocesses (Java): not a failure.
                raise Interrupted from exc
            if isinstance(exc, DemoFailed):
                exc.step = exc.step or here
                raise
            raise DemoFailed(f"{type(exc).__name__}: {exc}", step=here) from exc


@click.command()
@click.option("--port", default=5000, show_default=True, type=int, help="web service port")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--sandbox-port", default=8010, show_default=True, type=int, help="Kobo sandbox")
@click.option(
    "--smtp-port", default=None, type=int, help="SMTP sink port [default: PANTAU_SMTP_PORT, 8025]"
)
@click.pass_context
def demo(
    ctx: click.Context, port: int, host: str, sandbox_port: int, smtp_port: int | None
) -> None:
    """Run the whole pipeline on embedded defaults with sample data, until Ctrl-C."""
    base = settings_from(ctx)
    smtp_port = smtp_port or base.smtp_port
    var = Path(base.var_dir)
    log_dir = var / "logs"
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - a comparison
    web_url = f"http://{local}:{port}"
    kobo_url = f"http://127.0.0.1:{sandbox_port}"
    demo_env = demo_secrets(var / DEMO_ENV)
    settings = base.model_copy(
        update={
            "kobo_url": kobo_url,
            "kobo_token": SecretStr(demo_env["PANTAU_KOBO_TOKEN"]),
            "public_url": web_url,
            "webhook_username": demo_env["PANTAU_WEBHOOK_USERNAME"],
            "webhook_password": SecretStr(demo_env["PANTAU_WEBHOOK_PASSWORD"]),
            "webhook_token": SecretStr(demo_env["PANTAU_WEBHOOK_TOKEN"]),
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_port,
        }
    )
    env = dict(os.environ)
    env.update(demo_env)
    env.update(
        {
            "PANTAU_VAR_DIR": str(var),
            "PANTAU_DATABASE_URL": settings.database_url,
            "PANTAU_BROKER_URL": settings.broker_url,
            "PANTAU_KOBO_URL": kobo_url,
            "PANTAU_PUBLIC_URL": web_url,
            "PANTAU_SMTP_HOST": "127.0.0.1",
            "PANTAU_SMTP_PORT": str(smtp_port),
            "PYTHONUNBUFFERED": "1",
        }
    )
    sup = Supervisor(env, log_dir)
    steps = Steps(STEPS, log_dir)

    def _stop(signum: int, _frame: object) -> None:
        steps.stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    code = 0
    try:
        factory = _prepare_database(steps, settings)
        ports = {"web": port, "sandbox": sandbox_port, "smtp": smtp_port}
        _start_children(steps, sup, host, ports, demo_env["PANTAU_KOBO_TOKEN"], var)
        from core.clients.kobo import KoboClient

        with KoboClient.from_settings(settings, timeout=30) as kobo:
            assets = _publish_forms(steps, settings, factory, kobo)
            month = _submit_samples(steps, settings, kobo, assets, var)
            _wait_processed(steps, factory, kobo, assets, sup)
        _summary(steps, settings, factory, month, smtp_port, log_dir)
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


# -- steps ----------------------------------------------------------------------------------------


def _prepare_database(steps: Steps, settings: Any) -> Any:  # noqa: ANN401 - a sessionmaker
    from core.store.db import make_engine, make_session_factory, session_scope
    from core.store.migrate import upgrade
    from core.usecases.wilayah import load_wilayah
    from demo.data import seed_registry

    with steps.step(f"Basis data / database: {settings.database_url}"):
        engine = make_engine(settings)
        upgrade(engine)
        factory = make_session_factory(engine)
    with steps.step(f"Wilayah Kota Cimahi ({DEMO_PREFIX})"):
        with session_scope(factory) as session:
            n = load_wilayah(session, DEMO_PREFIX)
        click.echo(f"  {n} wilayah dimuat / regions loaded")
    with steps.step("Registri IMP / IMP registry (PPKBD, Sub-PPKBD, Kelompok KB)"):
        with session_scope(factory) as session:
            seeded = seed_registry(session, DEMO_PREFIX)
        made = ", ".join(f"{k} {v}" for k, v in seeded.created.items())
        click.echo(f"  {seeded.total} IMP; baru/new: {made}")
    return factory


def _start_children(
    steps: Steps,
    sup: Supervisor,
    host: str,
    ports: dict[str, int],
    token: str,
    var: Path,
) -> None:
    port, sandbox_port, smtp_port = ports["web"], ports["sandbox"], ports["smtp"]
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - a comparison
    web_url = f"http://{local}:{port}"
    with steps.step("Layanan / services: Kobo sandbox, SMTP sink, web, worker, beat"):
        for what, where, option in (
            ("web", (host, port), "--port"),
            ("Kobo sandbox", ("127.0.0.1", sandbox_port), "--sandbox-port"),
            ("SMTP sink", ("127.0.0.1", smtp_port), "--smtp-port"),
        ):
            if not port_free(*where):
                raise DemoFailed(
                    f"port {where[1]} ({what}) sudah dipakai / already in use; choose another "
                    f"with {option}"
                )
        sandbox_db = str(var / "sandbox-kobo.db")
        kobo_args = ["--port", str(sandbox_port), "--token", token, "--db", sandbox_db]
        sup.start("sandbox-kobo", "sandbox", "kobo", *kobo_args)
        sup.start("smtp", "-n", "-l", f"127.0.0.1:{smtp_port}", module="aiosmtpd")
        sup.start("web", "serve", "--host", host, "--port", str(port), "--workers", "2")
        sup.start("worker", "worker", "--concurrency", "2")
        sup.start("beat", "beat")

        def give_up() -> bool:
            return steps.stopping or bool(sup.dead())

        kobo_url = f"http://127.0.0.1:{sandbox_port}"
        for name, probe, where in (
            (
                "Kobo sandbox",
                lambda: http_ok(
                    f"{kobo_url}/api/v2/assets/?limit=1", {"Authorization": f"Token {token}"}
                ),
                kobo_url,
            ),
            ("SMTP sink", lambda: smtp_ok("127.0.0.1", smtp_port), f"127.0.0.1:{smtp_port}"),
            ("web", lambda: http_ok(f"{web_url}/readyz"), web_url),
        ):
            if not wait_until(probe, give_up, timeout=60):
                steps.check()
                dead = sup.dead()
                why = f"{', '.join(dead)} exited" if dead else "not ready after 60 s"
                raise DemoFailed(f"{name} ({where}): {why}")
            click.echo(f"  {name:<13} {where}  siap / ready")
        click.echo("  worker, beat  berjalan / running")


def _publish_forms(steps: Steps, settings: Any, factory: Any, kobo: Any) -> dict[str, str]:  # noqa: ANN401
    from core.usecases.publish import PublishError, publish_to_kobo

    assets: dict[str, str] = {}
    with steps.step(
        f"Terbitkan formulir / publish forms to the Kobo sandbox ({settings.kobo_url})"
    ):
        for form_id in DEMO_FORMS:
            steps.check()
            click.echo(f"  {form_id:<20} build + ODK Validate + publish … ", nl=False)
            session = factory()
            try:
                try:
                    result = publish_to_kobo(session, kobo, form_id, settings, actor="pantau demo")
                except PublishError as exc:
                    # Keep the build and audit row, as `pantau forms publish` does.
                    session.commit()
                    raise DemoFailed(f"{form_id}: {exc.step}: {exc.reason}") from exc
                session.commit()
            except BaseException:
                session.rollback()
                click.echo("")  # end the progress line before the error
                raise
            finally:
                session.close()
            what = "tidak berubah / unchanged" if result.unchanged else "terbit / published"
            click.echo(
                f"{result.version} {what}: {result.server_form_id} {result.server_version_id}, "
                f"hook {result.hook}"
            )
            assets[form_id] = result.server_form_id
    return assets


def _server_count(kobo: Any, assets: dict[str, str]) -> int:  # noqa: ANN401
    total = 0
    for uid in assets.values():
        page = next(kobo.data.iter_pages(uid, fields=["_id"], page_size=1))
        total += page.count
    return total


def _submit_samples(
    steps: Steps,
    settings: Any,  # noqa: ANN401
    kobo: Any,  # noqa: ANN401
    assets: dict[str, str],
    var: Path,
) -> str:
    """Submit the month's samples unless an earlier run did; return the month they report on."""
    from core.store.models import utcnow
    from core.wiring import rules_for
    from demo.data import sample_submissions
    from sandbox.kobo.instance import build_instance_xml  # a dev tool may use the sandbox's code

    marker = var / SAMPLES_MARKER
    with steps.step("Kirim contoh data / submit sample data as ODK Collect (OpenRosa)"):
        held = _server_count(kobo, assets)
        if marker.exists() and held:
            month = json.loads(marker.read_text())["month"]
            click.echo(
                f"  sudah dikirim sebelumnya / already submitted earlier: {held} submissions "
                f"in the sandbox (periode {month}); nothing sent"
            )
            return month
        offset = rules_for(settings).imp.utc_offset_hours
        today = (utcnow() + timedelta(hours=offset)).date()  # the kader's clock (WIB)
        month = today.strftime("%Y-%m")
        samples = sample_submissions(today)
        xforms = {
            form_id: kobo.request("GET", f"/forms/{uid}/form.xml").text
            for form_id, uid in assets.items()
        }
        created = duplicate = 0
        for i, sample in enumerate(samples, start=1):
            steps.check()
            xml, _ = build_instance_xml(
                xforms[sample.form_id], sample.answers, sample.instance_id(month)
            )
            result = kobo.submit_xml(xml)
            if result.created:
                created += 1
            elif result.duplicate:
                duplicate += 1
            else:
                raise DemoFailed(f"{sample.key}: {result.status_code} {result.message}")
            if i % 10 == 0 or i == len(samples):
                click.echo(f"  {i}/{len(samples)} terkirim / sent")
        marker.write_text(json.dumps({"month": month, "samples": len(samples)}) + "\n")
        forms = sorted({s.form_id for s in samples})
        click.echo(
            f"  baru/new {created}, duplikat/duplicate {duplicate} ({', '.join(forms)}), "
            f"periode {month}"
        )
    return month


def _wait_processed(
    steps: Steps,
    factory: Any,  # noqa: ANN401
    kobo: Any,  # noqa: ANN401
    assets: dict[str, str],
    sup: Supervisor,
) -> None:
    from sqlalchemy import select

    from core.store.models import Submission

    with steps.step("Tunggu pemrosesan / wait for webhook → worker"):
        expected = {e.uuid for uid in assets.values() for e in kobo.data.manifest(uid)}
        total = len(expected)
        deadline = time.monotonic() + PROCESS_TIMEOUT
        shown = -1
        while True:
            with factory() as session:
                rows = session.execute(
                    select(Submission.instance_id, Submission.status, Submission.error).where(
                        Submission.instance_id.in_(expected)
                    )
                ).all()
            stored = len(rows)
            done = [r for r in rows if r.status != "received"]
            if len(done) != shown:
                click.echo(f"  diterima/stored {stored}/{total}, diproses/processed {len(done)}")
                shown = len(done)
            if stored == total and len(done) == total:
                break
            if dead := sup.dead():
                raise DemoFailed(f"{', '.join(dead)} exited")
            steps.check()
            if time.monotonic() > deadline:
                raise DemoFailed(
                    f"only {len(done)} of {total} submissions processed after "
                    f"{PROCESS_TIMEOUT:.0f} s (webhook: web.log, sandbox-kobo.log; "
                    "processing: worker.log)"
                )
            time.sleep(0.5)
        failed = [r for r in rows if r.status == "failed"]
        if failed:
            click.echo(
                f"  peringatan/warning: {len(failed)} gagal diproses / failed: {failed[0].error}"
            )


def _summary(
    steps: Steps,
    settings: Any,  # noqa: ANN401
    factory: Any,  # noqa: ANN401
    month: str,
    smtp_port: int,
    log_dir: Path,
) -> None:
    from core.store.db import session_scope
    from core.usecases.assessments import score_imps
    from core.wiring import rules_for
    from demo.data import CRAFTED_TIERS, families_by_desa, ppkbd_code, stored_tiers

    with steps.step(f"Ringkasan / summary (periode {month})"):
        with session_scope(factory) as session:
            tiers = stored_tiers(session, month, DEMO_PREFIX)
            have = {t.imp for t in tiers}
            if not all(ppkbd_code(d) in have for d in CRAFTED_TIERS):
                # Not stored yet (e.g. a database restored without tiers): compute them now.
                score_imps(session, rules_for(settings), period=month, wilayah=DEMO_PREFIX)
                tiers = stored_tiers(session, month, DEMO_PREFIX)
            desa = families_by_desa(session, DEMO_PREFIX)
        click.echo("  Tingkat IMP / IMP tiers:")
        for t in tiers:
            click.echo(f"    {t.imp:<32} {t.name:<12} {t.tier.capitalize()}")
        click.echo("  Keluarga risiko stunting (KRS) per kelurahan / KRS families per desa:")
        for d in desa:
            stunted = (
                f"; {d.stunted_children} anak pendek / stunted child(ren)"
                if d.stunted_children
                else ""
            )
            click.echo(
                f"    {d.desa} {d.name:<10} {d.krs} dari/of {d.families} keluarga KRS{stunted}"
            )
        click.echo(
            "  Peringatan (e-mail) belum dibuat / alert e-mail is not implemented yet; "
            f"SMTP sink 127.0.0.1:{smtp_port} siap / ready ({log_dir}/smtp.log)"
        )
        click.echo(
            f"  Kredensial webhook & token sandbox / secrets: {Path(settings.var_dir) / DEMO_ENV}"
        )
