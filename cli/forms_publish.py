"""`pantau forms publish FORM --to kobo|central`: build, check the contract, publish, record.

Attached to the `forms` group by cli/forms.py; this module imports nothing from it.
"""

from __future__ import annotations

import getpass
import sys
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from config.settings import Settings
    from core.usecases.publish import PublishResult


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
    from cli.common import settings_from
    from core.usecases.publish import missing_settings

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
    result = _publish(settings, server, form_id, actor=by, force_reason=force_reason)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    what = "unchanged" if result.unchanged else "published"
    click.echo(
        f"{result.form_id} {result.version} {what} on {server}: "
        f"{result.server_form_id} {result.server_version_id}"
        + (f" (forced: {result.forced_reason})" if result.forced_reason else "")
    )
    if result.media_changes:
        click.echo(_media_line(result))


def _media_line(result: PublishResult) -> str:
    """What an IMP import sent: `media imp.csv replaced (12 -> 15 rows); no new form version`."""
    line = f"media {'; '.join(result.media_changes)}; no new form version"
    if result.server == "central":
        # Central refuses new media under a version string it already published (409.6).
        line += f" (Central needs a new version string: {result.server_version_id})"
    return line


def _publish(settings: Settings, server: str, form_id: str, **options: Any) -> PublishResult:
    """Publish in one transaction; a failed step still commits, prints `step: reason`, exits 1."""
    from cli.common import sessions
    from core.usecases.publish import PublishError

    session = sessions(settings)()
    try:
        try:
            result = _publish_to(session, settings, server, form_id, **options)
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
    return result


def _publish_to(
    session: Session, settings: Settings, server: str, form_id: str, **options: Any
) -> PublishResult:
    """Open the server's client and publish with it, printing each step."""
    from core.clients.central import CentralClient
    from core.clients.kobo import KoboClient
    from core.usecases.publish import publish_to_central, publish_to_kobo

    if server == "kobo":
        with KoboClient.from_settings(settings) as kobo:
            return publish_to_kobo(session, kobo, form_id, settings, progress=_progress, **options)
    with CentralClient.from_settings(settings) as central:
        return publish_to_central(
            session, central, form_id, settings, progress=_progress, **options
        )


def _progress(step: str, detail: str) -> None:
    click.echo(f"{step:<12} {detail}")
