"""`pantau recipients …` and `pantau alerts …`: who hears of findings, and their follow-up."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

import click

from cli.common import echo_json, echo_table, sessions, settings_from
from cli.imps import wilayah_option


@click.group()
def recipients() -> None:
    """Alert recipients: TPPS members and PKB/PLKB, each with a wilayah and a channel."""


@recipients.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def recipients_import(ctx: click.Context, file: Path) -> None:
    """Import FILE (CSV or XLSX: name,wilayah,channel,address,language[,role]); all or none."""
    settings = settings_from(ctx)
    from core.domain.registry import RegistryError
    from core.store.db import session_scope
    from core.usecases.recipients import import_recipients

    try:
        with session_scope(sessions(settings)) as session:
            outcome = import_recipients(session, file)
    except RegistryError as exc:
        for line in exc.problems:
            click.echo(f"{file.name}: {line}", err=True)
        click.echo(f"pantau: nothing imported ({len(exc.problems)} problem(s))", err=True)
        sys.exit(2)
    click.echo(
        f"recipients from {file.name}: {len(outcome['created'])} new, "
        f"{len(outcome['updated'])} changed, {len(outcome['unchanged'])} unchanged"
    )


@recipients.command("list")
@click.option("--json", "as_json", is_flag=True, help="a JSON list, one object per recipient")
@click.pass_context
def recipients_list(ctx: click.Context, as_json: bool) -> None:
    """Active recipients, by wilayah."""
    from core.usecases.recipients import list_recipients

    with sessions(settings_from(ctx))() as session:
        rows = list_recipients(session)
    if as_json:
        echo_json(rows)
    else:
        echo_table(rows, ["name", "role", "wilayah", "channel", "address", "language"])


@recipients.command("remove")
@click.argument("name")
@click.pass_context
def recipients_remove(ctx: click.Context, name: str) -> None:
    """Stop sending alerts to NAME (what was sent stays on record)."""
    from core.store.db import session_scope
    from core.usecases.recipients import remove_recipient

    with session_scope(sessions(settings_from(ctx))) as session:
        removed = remove_recipient(session, name)
    if not removed:
        click.echo(
            f"pantau: no active recipient named {name!r} (see `pantau recipients list`)", err=True
        )
        sys.exit(2)
    click.echo(f"recipient {name!r} removed")


@click.group()
def alerts() -> None:
    """Alerts raised for families and IMPs, and their referral status."""


@alerts.command("list")
@click.option("--wilayah", default=None, help="dotted code or prefix, e.g. 32.77.01 or 327701")
@click.option("--status", type=click.Choice(["open", "closed"]), default=None)
@click.option(
    "--referral", type=click.Choice(["dirujuk", "diterima", "ditindaklanjuti"]), default=None
)
@click.option("--json", "as_json", is_flag=True, help="a JSON list, one object per alert")
@click.pass_context
def alerts_list(
    ctx: click.Context, wilayah: str | None, status: str | None, referral: str | None, as_json: bool
) -> None:
    """Alerts, newest first, with their referral status."""
    from core.store.alerts import list_alerts
    from core.usecases.alerts import alert_row

    code = wilayah_option(wilayah)
    with sessions(settings_from(ctx))() as session:
        rows = [
            alert_row(a)
            for a in list_alerts(session, wilayah=code, status=status, referral=referral)
        ]
    if as_json:
        echo_json(rows)
        return
    echo_table(
        rows,
        [
            "id",
            "ref",
            "kind",
            "urgent",
            "desa_name",
            "rw",
            "rt",
            "status",
            "referral",
            "created_at",
        ],
    )


@alerts.command("set-status")
@click.argument("alert_id", type=int)
@click.argument("status", type=click.Choice(["dirujuk", "diterima", "ditindaklanjuti"]))
@click.option("--by", "by", default=None, help="who (default: your login name)")
@click.option("--note", default=None, help="a short note (no names or NIK)")
@click.pass_context
def alerts_set_status(
    ctx: click.Context, alert_id: int, status: str, by: str | None, note: str | None
) -> None:
    """Record the referral STATUS of ALERT_ID: dirujuk, diterima or ditindaklanjuti."""
    from core.store.db import session_scope
    from core.usecases.alerts import AlertError, reference, set_referral

    who = by or getpass.getuser()
    try:
        with session_scope(sessions(settings_from(ctx))) as session:
            alert = set_referral(session, alert_id, status, who, note)
            ref = reference(alert.id)
    except AlertError as exc:
        click.echo(f"pantau: {exc} (see `pantau alerts list`)", err=True)
        sys.exit(2)
    click.echo(f"{ref}: {status} by {who}")


@alerts.command("digest")
@click.pass_context
def alerts_digest(ctx: click.Context) -> None:
    """Queue this week's digest for every recipient now (once per ISO week; beat does it weekly)."""
    settings = settings_from(ctx)
    from core.store.db import session_scope
    from core.usecases.digest import build_digests, iso_week
    from core.wiring import rules_for

    with session_scope(sessions(settings)) as session:
        ids = build_digests(session, rules_for(settings))
    from core.store.models import utcnow

    click.echo(f"{len(ids)} digest(s) queued for week {iso_week(utcnow())}")


def register(main: click.Group) -> None:
    """Attach `recipients` and `alerts` to the root group."""
    main.add_command(recipients)
    main.add_command(alerts)
