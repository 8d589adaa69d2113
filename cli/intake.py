"""`pantau intake dead-letters|problems|replay`: what came in, and saved data put through."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cli.common import echo_json, echo_table, sessions, settings_from
from cli.progress import progress
from cli.pull import EXIT_BUSY

__all__ = ["EXIT_BUSY", "intake", "register"]


@click.group()
def intake() -> None:
    """What came in: dead letters, problems, replays."""


@intake.command("dead-letters")
@click.option("--json", "as_json", is_flag=True, help="a JSON list, one object a row")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 100_000))
@click.pass_context
def dead_letters(ctx: click.Context, as_json: bool, limit: int) -> None:
    """Payloads refused at the door, with the reason."""
    from core.store.submissions import list_dead_letters

    with sessions(settings_from(ctx))() as session:
        rows = list_dead_letters(session, limit)
    if as_json:
        echo_json(rows)
    else:
        echo_table(rows, ["id", "received_at", "source", "bytes", "reason"])


@intake.command("problems")
@click.option("--json", "as_json", is_flag=True, help="a JSON list, one object a row")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 100_000))
@click.pass_context
def problems(ctx: click.Context, as_json: bool, limit: int) -> None:
    """Stored submissions that failed processing or map to no known form version."""
    from core.store.submissions import list_problems

    with sessions(settings_from(ctx))() as session:
        rows = list_problems(session, limit)
    if as_json:
        echo_json(rows)
    else:
        echo_table(rows, ["id", "instance_id", "form_id", "status", "problem"])


@intake.command("replay")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--form",
    "form_id",
    default=None,
    metavar="FORM",
    help="the form of Kobo CSV/XLSX exports (our form id); JSON records name their own",
)
@click.option("--json", "as_json", is_flag=True, help="the counts as one JSON object")
@click.pass_context
def replay(ctx: click.Context, source: Path, form_id: str | None, as_json: bool) -> None:
    """Feed saved submissions through the intake path: Kobo JSON, or Kobo's XLSX/CSV exports.

    SOURCE is a file or a folder of them. Exports need "XML values and headers". A file that
    cannot be read is named and skipped (exit 1); exit 2 when nothing could be stored.
    """
    settings = settings_from(ctx)
    from cli.pull import process_now
    from core.usecases.replay import replay as replay_source
    from core.wiring import keyring_for

    factory = sessions(settings)
    with progress("replay") as shown:
        report = replay_source(
            factory,
            source,
            secret=keyring_for(settings),
            form_id=form_id,
            progress=lambda r: shown.count(r.records, what="records"),
        )
    process_now(factory, settings, report.new_ids)
    for name, reason in report.bad_files:
        click.echo(f"pantau: {name}: {reason}", err=True)
    counts = report.counts
    if as_json:
        echo_json(report.to_dict())
    else:
        click.echo(
            f"replayed {report.records} records from {report.files} file(s): "
            f"{counts.created} new, {counts.duplicates} duplicates, {counts.rejected} refused"
        )
    _replay_exit(report)


def _replay_exit(report) -> None:
    """Exit 2 when nothing could be stored, 1 when a file could not be read, else 0.

    Refused records among stored ones are the sender's data (each kept as a dead letter, with
    the reason), as they are for the webhook: named here, not a failure of the replay.
    """
    refused, bad = report.counts.rejected, len(report.bad_files)
    if refused:
        reasons = "; ".join(dict.fromkeys(report.reasons))
        click.echo(
            f"pantau: {refused} record(s) refused ({reasons}); each is kept as a dead letter "
            "(`pantau intake dead-letters`)",
            err=True,
        )
    stored = report.counts.created + report.counts.duplicates
    if (refused or bad) and not stored:
        sys.exit(2)
    if bad:
        sys.exit(1)


def register(main: click.Group) -> None:
    """Attach intake, pull and sweep to the root group."""
    from cli.pull import register as register_pull

    main.add_command(intake)
    register_pull(main)
