"""`pantau keys check|rotate`: the pseudonym keys behind every stored family key."""

from __future__ import annotations

import os
import sys

import click

from cli.common import sessions, settings_from

NEW_KEY_VAR = "PANTAU_NEW_PSEUDONYM_KEY"


@click.group()
def keys() -> None:
    """Pseudonym keys: check them against the database, rotate them."""


@keys.command("check")
@click.pass_context
def keys_check(ctx: click.Context) -> None:
    """Exit 0 when the configured keys made the stored family keys, 1 when not."""
    settings = settings_from(ctx)
    from core.store.db import session_scope
    from core.store.keys import PseudonymKeyMismatch
    from core.usecases.keys import check
    from core.wiring import keyring_for

    try:
        with session_scope(sessions(settings)) as session:
            check(session, keyring_for(settings))
    except PseudonymKeyMismatch as exc:
        click.echo(f"pantau: {exc}", err=True)
        sys.exit(1)
    click.echo("the configured pseudonym keys made the stored family keys")


@keys.command("rotate")
@click.pass_context
def keys_rotate(ctx: click.Context) -> None:
    """Re-key every stored pseudonym under a new key, in one transaction.

    The new key comes from PANTAU_NEW_PSEUDONYM_KEY (or is asked for, hidden). Afterwards every
    process must run with PANTAU_PSEUDONYM_PREVIOUS_KEYS extended by the old key and
    PANTAU_PSEUDONYM_KEY set to the new one; until restarted, they store nothing.
    """
    settings = settings_from(ctx)
    from config.settings import key_weakness
    from core.store.db import session_scope
    from core.store.keys import PseudonymKeyMismatch
    from core.usecases.keys import rotate
    from core.wiring import keyring_for

    new_key = os.environ.get(NEW_KEY_VAR) or _ask_new_key()
    current = keyring_for(settings)
    weak = key_weakness(new_key)
    if weak and settings.env != "development":
        click.echo(f"pantau: {NEW_KEY_VAR} {weak}", err=True)
        sys.exit(2)
    if new_key.encode() in current.keys or new_key == settings.secret_key.get_secret_value():
        click.echo(f"pantau: {NEW_KEY_VAR} must be a key never used before", err=True)
        sys.exit(2)
    try:
        with session_scope(sessions(settings)) as session:
            _, report = rotate(session, current, new_key.encode())
    except PseudonymKeyMismatch as exc:
        click.echo(f"pantau: nothing re-keyed: {exc}", err=True)
        sys.exit(1)
    for name, n in report.changed.items():
        click.echo(f"  {name}: {n} re-keyed")
    click.echo(
        f"re-keyed {report.total} rows in one transaction. Now, for every web, worker and beat "
        "process: append the old PANTAU_PSEUDONYM_KEY to PANTAU_PSEUDONYM_PREVIOUS_KEYS "
        f"(comma-separated, oldest first), set PANTAU_PSEUDONYM_KEY to the value of {NEW_KEY_VAR},"
        " and restart them. Until then they refuse to store submissions (the webhook answers "
        "503, which Kobo retries; the pull catches up), so no family is split."
    )


def _ask_new_key() -> str:
    if not sys.stdin.isatty():
        click.echo(f"pantau: set {NEW_KEY_VAR} to the new key", err=True)
        sys.exit(2)
    return click.prompt("new pseudonym key", hide_input=True, confirmation_prompt=True)


def register(main: click.Group) -> None:
    """Attach `keys` to the root group."""
    main.add_command(keys)
