"""Intake commands: pull, sweep, and `intake dead-letters|problems|replay`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cli.common import echo_json, echo_table, sessions, settings_from
from core.clients.central import CentralError
from core.clients.kobo import KoboError
from core.store.errors import DatabaseUnavailable

RemoteError = (KoboError, CentralError)
# Exit status when another pull or sweep of a form holds its lease (1 is a failure).
EXIT_BUSY = 3


def _client(settings, server: str):
    from core.wiring import client_for

    try:
        return client_for(settings, server)
    except RemoteError as exc:
        click.echo(f"pantau: {exc}", err=True)
        sys.exit(2)


def _process_now(factory, settings, ids: list[int]) -> None:
    # Without a running worker the CLI processes what it stored itself, in the same way.
    from core.store.db import session_scope
    from core.usecases.processing import process_batch
    from core.wiring import rules_for

    rules = rules_for(settings)
    for start in range(0, len(ids), 200):
        with session_scope(factory) as session:
            process_batch(session, ids[start : start + 200], rules)


@click.command()
@click.argument("form", required=False)
@click.option("--since", default=None, help="an _id, or a date/time (UTC) like 2026-11-01")
@click.option("--server", type=click.Choice(["kobo", "central"]), default="kobo", show_default=True)
@click.pass_context
def pull(ctx: click.Context, form: str | None, since: str | None, server: str) -> None:
    """Pull submissions of FORM (our form id or the server's id; all published if omitted)."""
    settings = settings_from(ctx)
    from core.store.locks import LockBusy
    from core.store.submissions import published_assets
    from core.usecases.pull import pull as pull_form
    from core.wiring import keyring_for, rules_for

    factory = sessions(settings)
    with factory() as session:
        assets = published_assets(session, server, form)
    if not assets:
        click.echo(
            f"pantau: nothing published to {server}{' as ' + form if form else ''}", err=True
        )
        sys.exit(1)
    progress = lambda line: click.echo(f"  {line}", err=True)  # noqa: E731
    total = 0
    failed = busy = False
    for asset in assets:
        try:
            with _client(settings, server) as client:
                report = pull_form(
                    factory,
                    client,
                    asset,
                    secret=keyring_for(settings),
                    rules=rules_for(settings),
                    since=since,
                    progress=progress,
                )
        except LockBusy as exc:
            click.echo(f"{asset}: not pulled: {exc}", err=True)
            busy = True
            continue
        except RemoteError as exc:
            # What was committed page by page stays; the next pull resumes from the cursor.
            click.echo(f"{asset}: pull failed: {exc}", err=True)
            failed = True
            continue
        except DatabaseUnavailable as exc:
            click.echo(f"{asset}: pull stopped, {exc} (busy or down)", err=True)
            failed = True
            continue
        _process_now(factory, settings, report.new_ids)
        total += report.created
        trash = (
            f", deleted {report.deleted}, restored {report.restored}" if server == "central" else ""
        )
        click.echo(
            f"{asset}: fetched {report.fetched}, new {report.created}, "
            f"duplicates {report.duplicates}, refused {report.rejected}{trash}"
        )
    click.echo(f"pulled {total} new submissions")
    if failed or busy:
        sys.exit(1 if failed else EXIT_BUSY)


@click.command()
@click.argument("form", required=False)
@click.pass_context
def sweep(ctx: click.Context, form: str | None) -> None:
    """Find edits and deletions on Kobo that no webhook announced."""
    settings = settings_from(ctx)
    from core.store.locks import LockBusy
    from core.store.submissions import published_assets
    from core.usecases.sweep import sweep_kobo
    from core.wiring import keyring_for, rules_for

    factory = sessions(settings)
    with factory() as session:
        assets = published_assets(session, "kobo", form)
    if not assets:
        click.echo(f"pantau: nothing published to kobo{' as ' + form if form else ''}", err=True)
        sys.exit(1)
    busy = False
    for asset in assets:
        try:
            with _client(settings, "kobo") as client:
                report = sweep_kobo(
                    factory,
                    client,
                    asset,
                    secret=keyring_for(settings),
                    rules=rules_for(settings),
                    progress=lambda line: click.echo(f"  {line}", err=True),
                )
        except LockBusy as exc:
            click.echo(f"{asset}: not swept: {exc}", err=True)
            busy = True
            continue
        except RemoteError as exc:
            click.echo(f"{asset}: sweep failed: {exc}", err=True)
            sys.exit(1)
        _process_now(factory, settings, report.new_ids)
        click.echo(
            f"{asset}: checked {report.checked}, edits {report.edits}, "
            f"missing {report.missing}, deleted {report.deleted}"
        )
    if busy:
        sys.exit(EXIT_BUSY)


@click.group()
def intake() -> None:
    """What came in: dead letters, problems, replays."""


@intake.command("dead-letters")
@click.option("--json", "as_json", is_flag=True, help="a JSON list, one object a row")
@click.option("--limit", default=200, show_default=True)
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
@click.option("--limit", default=200, show_default=True)
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


def _records(path: Path):
    from core.domain.submissions import loads_strict

    files = sorted(path.rglob("*.json")) if path.is_dir() else [path]
    for file in files:
        data = loads_strict(file.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("results"), list):
            data = data["results"]  # a saved page of the data API
        for rec in data if isinstance(data, list) else [data]:
            yield file, rec


@intake.command("replay")
@click.argument("source", type=click.Path(exists=True, path_type=Path))
@click.pass_context
def replay(ctx: click.Context, source: Path) -> None:
    """Feed exported Kobo JSON (a file or a folder of them) through the intake path."""
    settings = settings_from(ctx)
    from core.store.db import session_scope
    from core.usecases.intake import IntakeCounts, receive
    from core.wiring import keyring_for

    factory = sessions(settings)
    counts = IntakeCounts()
    new_ids: list[int] = []
    from core.domain.submissions import IntakeRejected

    try:
        records = list(_records(source))
    except IntakeRejected as exc:
        click.echo(f"pantau: {source}: {exc.reason}", err=True)
        sys.exit(2)
    except UnicodeDecodeError as exc:
        click.echo(f"pantau: {source}: not UTF-8 (byte {exc.start})", err=True)
        sys.exit(2)
    with click.progressbar(records, label="replaying", file=sys.stderr) as bar:
        for file, rec in bar:
            with session_scope(factory) as session:
                received = receive(
                    session,
                    rec,
                    source="replay",
                    secret=keyring_for(settings),
                    context=file.name,
                )
            counts.add(received)
            if received.process_id is not None:
                new_ids.append(received.process_id)
    _process_now(factory, settings, new_ids)
    click.echo(
        f"replayed {len(records)} records: {counts.created} new, "
        f"{counts.duplicates} duplicates, {counts.rejected} refused"
    )


def register(main: click.Group) -> None:
    """Attach pull, sweep and intake to the root group."""
    for command in (pull, sweep, intake):
        main.add_command(command)
