"""`pantau forms publish FORM --to kobo|central`: build, check the contract, publish, record."""

from __future__ import annotations

import getpass
import sys

import click


@click.command("publish")
@click.argument("form_id")
@click.option(
    "--to", "server", type=click.Choice(["kobo", "central"]), required=True, help="Which server."
)
@click.option(
    "--force",
    "force_reason",
    metavar="REASON",
    default=None,
    help="Publish even if stored submissions would break; the reason is recorded.",
)
@click.option(
    "--as", "actor", metavar="NAME", default=None, help="Who publishes (default: OS user)."
)
@click.pass_context
def publish_cmd(
    ctx: click.Context, form_id: str, server: str, force_reason: str | None, actor: str | None
) -> None:
    """Build FORM_ID and publish it to Kobo or ODK Central; print each step."""
    from cli.forms import _session_factory
    from cli.main import settings_from
    from core.clients.central import CentralClient
    from core.clients.kobo import KoboClient
    from core.usecases.publish import (
        PublishError,
        missing_settings,
        publish_to_central,
        publish_to_kobo,
    )

    settings = settings_from(ctx)
    if force_reason is not None and not force_reason.strip():
        click.echo(
            "pantau: --force needs a reason, e.g. --force 'field renamed upstream'", err=True
        )
        sys.exit(2)
    missing = missing_settings(settings, server)
    if missing:
        click.echo(f"pantau: cannot publish to {server}: {'; '.join(missing)}", err=True)
        sys.exit(2)
    by = actor or getpass.getuser()

    def progress(step: str, detail: str) -> None:
        click.echo(f"{step:<12} {detail}")

    factory = _session_factory(settings)
    session = factory()
    try:
        try:
            if server == "kobo":
                with KoboClient.from_settings(settings) as kobo:
                    result = publish_to_kobo(
                        session,
                        kobo,
                        form_id,
                        settings,
                        actor=by,
                        force_reason=force_reason,
                        progress=progress,
                    )
            else:
                with CentralClient.from_settings(settings) as central:
                    result = publish_to_central(
                        session,
                        central,
                        form_id,
                        settings,
                        actor=by,
                        force_reason=force_reason,
                        progress=progress,
                    )
        except PublishError as exc:
            # Keep the build and the audit row: a re-run then publishes this same version.
            session.commit()
            click.echo(f"{exc.step}: {exc.reason}", err=True)
            sys.exit(1)
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    what = "unchanged" if result.unchanged else "published"
    click.echo(
        f"{result.form_id} {result.version} {what} on {server}: "
        f"{result.server_form_id} {result.server_version_id}"
        + (f" (forced: {result.forced_reason})" if result.forced_reason else "")
    )
