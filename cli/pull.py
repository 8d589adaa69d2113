"""`pantau pull` and `pantau sweep`: fetch what webhooks missed, and Kobo's edits and deletions.

Forms are named by our form id with the server's id in brackets (`pertemuan_imp [aXy…]`), for
Kobo and Central alike. Exit 1 when a form failed, 3 when another run holds a form's lease.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from cli.common import echo_json, sessions, settings_from
from cli.errors import BadInput
from cli.progress import progress
from config.settings import SettingsError
from core.clients.central import CentralError
from core.clients.kobo import KoboError
from core.store.errors import DatabaseUnavailable

RemoteError = (KoboError, CentralError)
# Exit status when another pull or sweep of a form holds its lease (1 is a failure).
EXIT_BUSY = 3


def process_now(factory, settings, ids: list[int]) -> None:
    """Process what the command stored itself, as a worker would (none may be running)."""
    from core.store.db import session_scope
    from core.usecases.processing import process_batch
    from core.wiring import rules_for

    rules = rules_for(settings)
    for start in range(0, len(ids), 200):
        with session_scope(factory) as session:
            process_batch(session, ids[start : start + 200], rules)


def _forms(factory, server: str, form: str | None) -> list[tuple[str, str]]:
    """(our form id, server form id) to work on; a form never published there is bad input."""
    from core.store.submissions import published_forms

    with factory() as session:
        found = published_forms(session, server, form)
    if form is not None and not found:
        raise BadInput(
            f"{form!r} was never published to {server} through Pantau "
            f"(`pantau forms versions {form}` lists its publications)"
        )
    return found


def _outcome(name: str, server: str, server_id: str, status: str, **counts: Any) -> dict:
    return {
        "form_id": name,
        "server": server,
        "server_form_id": server_id,
        "status": status,
        **counts,
    }


def _finish(rows: list[dict], as_json: bool, summary: str | None) -> None:
    """Print the JSON rows or each form's line and the summary; exit 1 on a failure, 3 busy."""
    if as_json:
        echo_json(rows)
    else:
        for row in rows:
            if row["status"] == "ok":
                counts = {k: v for k, v in row.items() if isinstance(v, int)}
                name = f"{row['form_id']} [{row['server_form_id']}]"
                click.echo(f"{name}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
        if summary:
            click.echo(summary)
    statuses = {r["status"] for r in rows}
    if "failed" in statuses:
        sys.exit(1)
    if "busy" in statuses:
        sys.exit(EXIT_BUSY)


@click.command()
@click.argument("form", required=False)
@click.option("--since", default=None, help="a Kobo _id, or a date/time (UTC) like 2026-11-01")
@click.option("--server", type=click.Choice(["kobo", "central"]), default="kobo", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="a JSON list, one object per form")
@click.pass_context
def pull(
    ctx: click.Context, form: str | None, since: str | None, server: str, as_json: bool
) -> None:
    """Pull submissions of FORM (our form id or the server's id; all published if omitted)."""
    from core.usecases.pull_args import missing_pull_settings, parse_since

    start = parse_since(since, server)  # refused before anything else: exit 2
    settings = settings_from(ctx)
    missing = missing_pull_settings(settings, server)
    if missing:
        raise SettingsError(f"cannot pull from {server}: {'; '.join(missing)}")
    factory = sessions(settings)
    forms = _forms(factory, server, form)
    if not forms:
        click.echo(f"pantau: nothing published to {server} yet (`pantau forms publish`)", err=True)
        sys.exit(1)
    rows = [_pull_one(factory, settings, server, form_id, sid, start) for form_id, sid in forms]
    new = sum(r.get("new", 0) for r in rows)
    done = [r for r in rows if r["status"] == "ok"]
    summary = None
    if done:
        failed = len(rows) - len(done)
        summary = f"pulled {new} new submissions" + (
            f" ({failed} of {len(rows)} forms not pulled)" if failed else ""
        )
    _finish(rows, as_json, summary)


def _pull_one(factory, settings, server: str, form_id: str, server_id: str, start) -> dict:
    from core.store.locks import LockBusy
    from core.usecases.pull import pull as pull_form
    from core.wiring import client_for, keyring_for, rules_for

    name = f"{form_id} [{server_id}]"
    stored: list[int] = []  # handed over page by page, so known whatever happens next
    try:
        with client_for(settings, server) as client, progress(f"pull {name}") as shown:
            report = pull_form(
                factory,
                client,
                server_id,
                secret=keyring_for(settings),
                rules=rules_for(settings),
                since=start,
                progress=lambda line: shown(line.removeprefix(f"{server_id}: ")),
                on_new=stored.extend,
            )
    except LockBusy as exc:
        click.echo(f"{name}: not pulled: {exc}", err=True)
        return _outcome(form_id, server, server_id, "busy", error=str(exc))
    except RemoteError as exc:
        # What was committed page by page stays, and is processed; the next pull resumes
        # from the cursor.
        click.echo(f"{name}: pull failed: {exc}", err=True)
        process_now(factory, settings, stored)
        return _outcome(form_id, server, server_id, "failed", error=str(exc))
    except DatabaseUnavailable as exc:
        click.echo(f"{name}: pull stopped, {exc} (busy or down)", err=True)
        return _outcome(form_id, server, server_id, "failed", error=str(exc))
    process_now(factory, settings, stored)
    counts = {
        "fetched": report.fetched,
        "new": report.created,
        "duplicates": report.duplicates,
        "refused": report.rejected,
    }
    if server == "central":
        counts.update(deleted=report.deleted, restored=report.restored)
    return _outcome(form_id, server, server_id, "ok", **counts)


@click.command()
@click.argument("form", required=False)
@click.option("--json", "as_json", is_flag=True, help="a JSON list, one object per form")
@click.pass_context
def sweep(ctx: click.Context, form: str | None, as_json: bool) -> None:
    """Find edits and deletions on Kobo that no webhook announced."""
    from core.usecases.pull_args import missing_pull_settings

    settings = settings_from(ctx)
    missing = missing_pull_settings(settings, "kobo")
    if missing:
        raise SettingsError(f"cannot sweep Kobo: {'; '.join(missing)}")
    factory = sessions(settings)
    forms = _forms(factory, "kobo", form)
    if not forms:
        click.echo("pantau: nothing published to kobo yet (`pantau forms publish`)", err=True)
        sys.exit(1)
    rows = [_sweep_one(factory, settings, form_id, sid) for form_id, sid in forms]
    _finish(rows, as_json, None)


def _sweep_one(factory, settings, form_id: str, server_id: str) -> dict:
    from core.store.locks import LockBusy
    from core.usecases.sweep import sweep_kobo
    from core.wiring import client_for, keyring_for, rules_for

    name = f"{form_id} [{server_id}]"
    stored: list[int] = []
    try:
        with client_for(settings, "kobo") as client, progress(f"sweep {name}") as shown:
            report = sweep_kobo(
                factory,
                client,
                server_id,
                secret=keyring_for(settings),
                rules=rules_for(settings),
                progress=lambda line: shown(line.removeprefix(f"{server_id}: ")),
                on_new=stored.extend,
            )
    except LockBusy as exc:
        click.echo(f"{name}: not swept: {exc}", err=True)
        return _outcome(form_id, "kobo", server_id, "busy", error=str(exc))
    except RemoteError as exc:
        click.echo(f"{name}: sweep failed: {exc}", err=True)
        process_now(factory, settings, stored)  # the edits fetched before the failure
        return _outcome(form_id, "kobo", server_id, "failed", error=str(exc))
    except DatabaseUnavailable as exc:
        click.echo(f"{name}: sweep failed: {exc}", err=True)
        return _outcome(form_id, "kobo", server_id, "failed", error=str(exc))
    process_now(factory, settings, stored)
    counts = {
        "checked": report.checked,
        "edits": report.edits,
        "missing": report.missing,
        "deleted": report.deleted,
    }
    return _outcome(form_id, "kobo", server_id, "ok", **counts)


def register(main: click.Group) -> None:
    """Attach pull and sweep to the root group."""
    main.add_command(pull)
    main.add_command(sweep)
