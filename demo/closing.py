"""The demo's closing steps: the small demo's summary, and the alerts both demos sent.

Like demo.pipeline, the steps only orchestrate; core and the data modules are imported inside.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from demo import DEMO_PREFIX
from demo.processes import DEMO_ENV, Supervisor
from demo.steps import Steps

DELIVERY_TIMEOUT = 60.0


def print_summary(
    steps: Steps,
    settings: Any,
    factory: Any,
    month: str,
    smtp_port: int,
    log_dir: Path,
) -> None:
    """Print the month's IMP tiers and KRS families per desa, scoring the tiers if not stored."""
    from core.store.db import session_scope
    from core.usecases.rescoring import score_imps
    from core.wiring import rules_for
    from demo.registry import ppkbd_code
    from demo.samples import CRAFTED_TIERS
    from demo.summary import families_by_desa, stored_tiers

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
            f"  Kredensial webhook & token sandbox / secrets: {Path(settings.var_dir) / DEMO_ENV}"
        )


def print_alerts(steps: Steps, factory: Any, maildir: Path, sup: Supervisor) -> None:
    """Wait for the worker to send the alerts, then say how many went to whom, and where."""
    from sqlalchemy import func, select

    from core.store.models import Alert, Delivery, Recipient

    with steps.step("Peringatan / alerts (TPPS, PKB) via SMTP"):
        deadline = time.monotonic() + DELIVERY_TIMEOUT
        while True:
            with factory() as session:
                waiting = session.scalar(
                    select(func.count()).where(Delivery.status.in_(("queued", "sending")))
                )
            if not waiting or time.monotonic() > deadline or sup.dead():
                break
            steps.check()
            time.sleep(0.5)
        with factory() as session:
            alerts = session.scalar(select(func.count()).select_from(Alert))
            rows = session.execute(
                select(Recipient.name, Recipient.address, Delivery.status, func.count())
                .join(Recipient, Recipient.id == Delivery.recipient_id)
                .group_by(Recipient.name, Recipient.address, Delivery.status)
                .order_by(Recipient.name)
            ).all()
        click.echo(f"  {alerts} peringatan / alerts; e-mail:")
        for name, address, status, n in rows:
            click.echo(f"    {name:<30} {address:<36} {n} {status}")
        if waiting:
            click.echo(f"  {waiting} belum terkirim / not sent yet (worker.log)")
        click.echo(f"  Kotak surat / mailbox (Maildir): {maildir}  (e.g. ls {maildir}/new)")
