"""`pantau forms publish [FORM…|--all] --to kobo|central [--dry-run]`: build, check, publish.

Attached to the `forms` group by cli/forms.py; this module imports nothing from it.
"""

from __future__ import annotations

import getpass
import sys
from typing import TYPE_CHECKING, Any

import click

from cli.errors import BadInput

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from config.settings import Settings
    from core.usecases.publish import PublishResult
    from core.usecases.publish.plan import Plan


@click.command("publish")
@click.argument("form_ids", nargs=-1, metavar="[FORM]...")
@click.option("--all", "all_forms", is_flag=True, help="Every form in PANTAU_FORMS_DIR.")
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
@click.option(
    "--dry-run",
    is_flag=True,
    help="Show what would change (version, media, hook) and send or record nothing.",
)
@click.pass_context
def publish_cmd(
    ctx: click.Context,
    form_ids: tuple[str, ...],
    all_forms: bool,
    server: str,
    force_reason: str | None,
    actor: str | None,
    dry_run: bool,
) -> None:
    """Build each FORM (or --all) and publish it to Kobo or ODK Central; print each step."""
    from cli.common import settings_from
    from core.domain.forms.lint import form_paths
    from core.usecases.publish import missing_settings

    if bool(form_ids) == all_forms:
        raise BadInput("name the forms to publish, or give --all (not both)")
    if force_reason is not None and not force_reason.strip():
        click.echo(
            "pantau: --force needs a reason, e.g. --force 'field renamed upstream'", err=True
        )
        sys.exit(2)
    settings = settings_from(ctx)
    missing = missing_settings(settings, server)
    if missing:
        click.echo(f"pantau: cannot publish to {server}: {'; '.join(missing)}", err=True)
        sys.exit(2)
    # Every name checked before the first server call: a typo stops nothing half-way.
    names = [p.stem for p in form_paths(settings.forms_dir, form_ids)]
    by = actor or getpass.getuser()
    failed = 0
    for form_id in names:
        where = f"{form_id}: " if len(names) > 1 else ""
        if dry_run:
            ok = _dry_run(settings, server, form_id, actor=by, force_reason=force_reason)
        else:
            ok = _publish_one(settings, server, form_id, by, force_reason, where)
        failed += not ok
    if failed:
        sys.exit(1)


def _publish_one(
    settings: Settings, server: str, form_id: str, by: str, force_reason: str | None, where: str
) -> bool:
    result = _publish(settings, server, form_id, where, actor=by, force_reason=force_reason)
    if result is None:
        return False
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
    return True


def _media_line(result: PublishResult) -> str:
    """What an IMP import sent: `media imp.csv replaced (12 -> 15 rows); no new form version`."""
    line = f"media {'; '.join(result.media_changes)}; no new form version"
    if result.server == "central":
        # Central refuses new media under a version string it already published (409.6).
        line += f" (Central needs a new version string: {result.server_version_id})"
    return line


def _publish(
    settings: Settings, server: str, form_id: str, where: str, **options: Any
) -> PublishResult | None:
    """Publish in one transaction; a failed step still commits and prints `step: reason`."""
    from cli.common import sessions
    from core.usecases.publish import PublishError

    session = sessions(settings)()
    try:
        try:
            result = _publish_to(session, settings, server, form_id, **options)
        except PublishError as exc:
            # Keep the build and the audit row: a re-run then publishes this same version.
            session.commit()
            click.echo(f"{where}{exc.step}: {exc.reason}", err=True)
            return None
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
    from core.usecases.publish import publish_to_central, publish_to_kobo
    from core.wiring import client_for

    with client_for(settings, server) as client:
        publish = publish_to_kobo if server == "kobo" else publish_to_central
        return publish(session, client, form_id, settings, progress=_progress, **options)


def _dry_run(settings: Settings, server: str, form_id: str, **options: Any) -> bool:
    """Print what publishing form_id would change; nothing is sent, built or recorded."""
    from cli.common import sessions
    from core.usecases.publish import PublishError
    from core.usecases.publish.plan import plan_publish
    from core.wiring import client_for

    session = sessions(settings)()
    try:
        with client_for(settings, server) as client:
            plan = plan_publish(session, client, form_id, settings, **options)
    except PublishError as exc:
        click.echo(f"{form_id}: {exc.step}: {exc.reason}", err=True)
        return False
    finally:
        session.rollback()  # the build's rows: a dry run records nothing
        session.close()
    return _echo_plan(plan)


def _echo_plan(plan: Plan) -> bool:
    click.echo(f"{plan.form_id} -> {plan.server} (dry run: nothing sent or recorded)")
    if plan.refused is not None:
        click.echo(f"contract: would be refused: {plan.refused}", err=True)
        return False
    for step_name, detail in plan.changes:
        _progress(step_name, detail)
    return True


def _progress(step: str, detail: str) -> None:
    click.echo(f"{step:<12} {detail}")
