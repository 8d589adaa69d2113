"""`pantau users …` and `pantau audit`: who may use the web, and what they read."""

from __future__ import annotations

import getpass
import sys
from datetime import UTC, datetime

import click

from cli.common import echo_json, echo_table, sessions, settings_from


@click.group()
def users() -> None:
    """Users of the web: admin, supervisor (PKB/PLKB) and tpps, each scoped by wilayah."""


def _actor() -> str:
    # Who ran the command, for the audit log.
    return f"cli:{getpass.getuser()}"


def _fail(exc: Exception) -> None:
    click.echo(f"pantau: {exc}", err=True)
    sys.exit(2)


@users.command("add")
@click.argument("name")
@click.option(
    "--role", required=True, type=click.Choice(["admin", "supervisor", "tpps"]), help="what it sees"
)
@click.option(
    "--wilayah",
    "wilayah",
    multiple=True,
    help="dotted code: an admin's kab/kota (optional), a tpps's one wilayah, a supervisor's desa "
    "(repeat for each)",
)
@click.pass_context
def add_cmd(ctx: click.Context, name: str, role: str, wilayah: tuple[str, ...]) -> None:
    """Add user NAME with a role (or change an existing user's role and wilayah)."""
    from core.store.db import session_scope
    from core.usecases.users import AccessError, add_user

    try:
        with session_scope(sessions(settings_from(ctx))) as session:
            user, created = add_user(session, name, role, list(wilayah), _actor())
            areas = ", ".join(user.areas) or "semua wilayah / every wilayah"
    except AccessError as exc:
        _fail(exc)
    click.echo(f"user {name!r} {'added' if created else 'changed'}: {role}, {areas}")


@users.command("token")
@click.argument("name")
@click.pass_context
def token_cmd(ctx: click.Context, name: str) -> None:
    """Print a new API token for NAME, once (only its hash is kept)."""
    from core.store.db import session_scope
    from core.usecases.users import AccessError, issue_token

    try:
        with session_scope(sessions(settings_from(ctx))) as session:
            token = issue_token(session, name, _actor())
    except AccessError as exc:
        _fail(exc)
    click.echo(token)
    click.echo(
        "  shown once: send it as `Authorization: Bearer TOKEN`; "
        f"`pantau users revoke {name}` ends it",
        err=True,
    )


@users.command("password")
@click.argument("name")
@click.option("--stdin", "from_stdin", is_flag=True, help="read the password from standard input")
@click.pass_context
def password_cmd(ctx: click.Context, name: str, from_stdin: bool) -> None:
    """Set the dashboard password of NAME (asked twice, or one line on stdin)."""
    from core.store.db import session_scope
    from core.usecases.users import AccessError, set_password

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        with session_scope(sessions(settings_from(ctx))) as session:
            set_password(session, name, password, _actor())
    except AccessError as exc:
        _fail(exc)
    click.echo(f"password of {name!r} set; its open dashboard sessions are ended")


@users.command("revoke")
@click.argument("name")
@click.pass_context
def revoke_cmd(ctx: click.Context, name: str) -> None:
    """Take NAME's access away: tokens, password and open sessions (the user stays on record)."""
    from core.store.db import session_scope
    from core.usecases.users import AccessError, revoke

    try:
        with session_scope(sessions(settings_from(ctx))) as session:
            count = revoke(session, name, _actor())
    except AccessError as exc:
        _fail(exc)
    click.echo(f"user {name!r} revoked ({count} token(s))")


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="a JSON list, one object per user")
@click.pass_context
def list_cmd(ctx: click.Context, as_json: bool) -> None:
    """Users with role, wilayah, whether they can log in and their live tokens."""
    from core.usecases.users import list_users

    with sessions(settings_from(ctx))() as session:
        rows = list_users(session)
    if as_json:
        echo_json(rows)
    else:
        echo_table(rows, ["name", "role", "wilayah", "active", "password", "tokens"])


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter("a date like 2026-12-01 (UTC)", param_hint="--since") from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@click.command()
@click.option("--user", "user", default=None, help="only what this user did")
@click.option("--since", default=None, help="a date or time (UTC), e.g. 2026-12-01")
@click.option("--json", "as_json", is_flag=True, help="a JSON list, one object per entry")
@click.pass_context
def audit(ctx: click.Context, user: str | None, since: str | None, as_json: bool) -> None:
    """The audit log: every read of family data, export, login and change, oldest first."""
    from core.usecases.audit import trail

    with sessions(settings_from(ctx))() as session:
        rows = trail(session, user, _since(since))
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        r["detail"] = " ".join(f"{k}={v}" for k, v in r["detail"].items())
    echo_table(rows, ["at", "actor", "action", "target", "detail"])


def register(main: click.Group) -> None:
    """Attach `users` and `audit` to the root group."""
    main.add_command(users)
    main.add_command(audit)
