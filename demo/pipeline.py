"""The steps of `pantau demo`, in order: database, children, publish, submit, wait, summary.

Each step only orchestrates: the logic lives in core (publishing, the Kobo client), in demo's data
modules (registry, samples, summary) and in the processes it starts. Core and the data modules are
imported inside the steps: `pantau` imports this module at start-up, for every command.
"""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from demo import DEMO_PREFIX
from demo.processes import (
    DEMO_ADMIN,
    Supervisor,
    http_ok,
    port_free,
    smtp_ok,
    wait_until,
)
from demo.steps import DemoFailed, Steps

# Profiles first: a tier needs the profile, and a kader fills it at the start of a period.
DEMO_FORMS = (
    "profil_imp",
    "pertemuan_imp",
    "kie_konseling",
    "laporan_bulanan_imp",
    "keluarga_risiko",
)
SAMPLES_MARKER = "demo-samples.json"
SIZE_MARKER = "demo-size"
# Sandbox deliveries in flight at once: enough to keep the web's threads busy, not more.
HOOK_CONCURRENCY = 8
# Kobo retries a refused delivery after up to 1, 2, 4, 8 minutes. With SQLite's one writer a busy
# moment answers some deliveries 503; at a twentieth of Kobo's backoff they come back within
# seconds instead of holding the demo's last percent for minutes (the pull stays the net).
HOOK_RETRY_SCALE = 0.05
RECIPIENTS = Path(__file__).with_name("recipients.csv")
STEPS = 10
PROCESS_TIMEOUT = 180.0


def claim_size(var: Path, size: str) -> None:
    """Refuse to mix demos of different sizes (or seeds) in one var/: their registries differ."""
    marker = var / SIZE_MARKER
    if marker.exists():
        held = marker.read_text().strip()
    else:  # a var/ of a run before sizes existed holds the small demo, if anything
        held = "small" if (var / SAMPLES_MARKER).exists() else ""
    if held and held != size:
        raise DemoFailed(
            f"{var} holds the data of another demo ({held}, not {size}): run that one again, "
            "or remove the folder, or choose another with PANTAU_VAR_DIR"
        )
    marker.write_text(size + "\n")


def prepare_database(steps: Steps, settings: Any, password: str, registry: Path, size: str) -> Any:
    """Migrate, load Kota Cimahi's wilayah, seed its IMP registry, recipients and dashboard admin.

    `registry` is the IMP list to import, `size` the demo's size and seed (see claim_size).
    Returns a session factory.
    """
    from core.store.db import make_engine, make_session_factory, session_scope
    from core.store.migrate import upgrade
    from core.usecases.wilayah import load_wilayah
    from demo.registry import import_demo_registry

    with steps.step(f"Basis data / database: {settings.database_url}"):
        engine = make_engine(settings)
        upgrade(engine)
        factory = make_session_factory(engine)
    with steps.step(f"Wilayah Kota Cimahi ({DEMO_PREFIX})"):
        with session_scope(factory) as session:
            n = load_wilayah(session, DEMO_PREFIX)
        click.echo(f"  {n} wilayah dimuat / regions loaded")
    with steps.step(f"Registri IMP / IMP registry: pantau imps import {_shown(registry)}"):
        claim_size(Path(settings.var_dir), size)
        with session_scope(factory) as session:
            report = import_demo_registry(session, registry)
        click.echo(
            f"  {report.rows:,} IMP (PPKBD, Sub-PPKBD, Kelompok KB); baru/new "
            f"{len(report.created):,}, tidak berubah/unchanged {len(report.unchanged):,}"
        )
    with steps.step(
        f"Penerima peringatan, pengguna dasbor / alert recipients ({RECIPIENTS.name}), "
        "dashboard user"
    ):
        from core.usecases.recipients import import_recipients
        from core.usecases.users import add_user, set_password

        with session_scope(factory) as session:
            outcome = import_recipients(session, RECIPIENTS)
            add_user(session, DEMO_ADMIN, "admin", [DEMO_PREFIX], actor="pantau demo")
            set_password(session, DEMO_ADMIN, password, actor="pantau demo")
        click.echo(f"  {sum(len(v) for v in outcome.values())} TPPS/PKB, e-mail")
        click.echo(f"  {DEMO_ADMIN}: admin Kota Cimahi ({DEMO_PREFIX})")
    return factory


def _shown(path: Path) -> str:
    """A path as short as it can be said: relative to demo/ when it is one of ours."""
    try:
        return str(path.relative_to(Path(__file__).parent))
    except ValueError:
        return str(path)


def start_children(
    steps: Steps,
    sup: Supervisor,
    host: str,
    ports: dict[str, int],
    token: str,
    var: Path,
    workers: int = 2,
) -> None:
    """Start the Kobo sandbox, SMTP sink, web, worker (`workers` processes) and beat; wait."""
    port, sandbox_port, smtp_port = ports["web"], ports["sandbox"], ports["smtp"]
    with steps.step("Layanan / services: Kobo sandbox, SMTP sink, web, worker, beat"):
        _check_ports(host, ports)
        sandbox_db = str(var / "sandbox-kobo.db")
        kobo_args = ["--port", str(sandbox_port), "--token", token, "--db", sandbox_db]
        kobo_args += ["--hook-concurrency", str(HOOK_CONCURRENCY)]
        kobo_args += ["--retry-scale", str(HOOK_RETRY_SCALE)]
        sup.start("sandbox-kobo", "sandbox", "kobo", *kobo_args)
        maildir = str(var / "mail")
        sup.start("smtp", "--port", str(smtp_port), "--maildir", maildir, module="demo.mailsink")
        sup.start("web", "serve", "--host", host, "--port", str(port), "--workers", "2")
        sup.start("worker", "worker", "--concurrency", str(workers))
        sup.start("beat", "beat")
        _wait_children_ready(steps, sup, host, ports, token)
        click.echo("  worker, beat  berjalan / running")


def _check_ports(host: str, ports: dict[str, int]) -> None:
    """Fail before starting anything if a port the demo serves on is taken, naming its option."""
    for what, where, option in (
        ("web", (host, ports["web"]), "--port"),
        ("Kobo sandbox", ("127.0.0.1", ports["sandbox"]), "--sandbox-port"),
        ("SMTP sink", ("127.0.0.1", ports["smtp"]), "--smtp-port"),
    ):
        if not port_free(*where):
            raise DemoFailed(
                f"port {where[1]} ({what}) sudah dipakai / already in use; choose another "
                f"with {option}"
            )


def _wait_children_ready(
    steps: Steps, sup: Supervisor, host: str, ports: dict[str, int], token: str
) -> None:
    """Wait for the sandbox, the SMTP sink and web to answer; fail as soon as a child exits."""
    port, sandbox_port, smtp_port = ports["web"], ports["sandbox"], ports["smtp"]
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104 - a comparison
    web_url = f"http://{local}:{port}"

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


def publish_forms(steps: Steps, settings: Any, factory: Any, kobo: Any) -> dict[str, str]:
    """Publish the demo forms to the sandbox with the real publishing code; return their uids."""
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


def _server_count(kobo: Any, assets: dict[str, str]) -> int:
    """Submissions the sandbox holds for the demo forms."""
    total = 0
    for uid in assets.values():
        page = next(kobo.data.iter_pages(uid, fields=["_id"], page_size=1))
        total += page.count
    return total


def submit_samples(
    steps: Steps,
    settings: Any,
    kobo: Any,
    assets: dict[str, str],
    var: Path,
) -> str:
    """Submit the month's samples unless an earlier run did; return the month they report on."""
    from core.store.models import utcnow
    from core.wiring import rules_for
    from demo.samples import sample_submissions
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


def wait_processed(
    steps: Steps,
    factory: Any,
    kobo: Any,
    assets: dict[str, str],
    sup: Supervisor,
) -> None:
    """Wait until every submission in the sandbox is stored and processed; warn of failures."""
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
