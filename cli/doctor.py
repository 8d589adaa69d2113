"""`pantau doctor`: one line per thing this installation depends on, and what to fix."""

from __future__ import annotations

import sys

import click

from cli.common import echo_json, settings_from

MARKS = {"ok": "ok", "warn": "warn", "fail": "FAIL", "not configured": "-"}


@click.command()
@click.option("--json", "as_json", is_flag=True, help="a JSON list, one object per check")
@click.pass_context
def doctor(ctx: click.Context, as_json: bool) -> None:
    """Check the database, broker, Kobo, Central, public URL, forms and rules; exit 1 on a failure.

    A server that is not configured is reported as such, not as a failure. Nothing is written.
    """
    settings = settings_from(ctx)
    from core.usecases.doctor import FAIL, run_checks
    from core.wiring import keyring_for

    checks = run_checks(settings, keyring_for(settings))
    if as_json:
        echo_json([c.to_dict() for c in checks])
    else:
        width = max(len(c.name) for c in checks)
        for c in checks:
            click.echo(f"{MARKS.get(c.status, c.status):<5} {c.name:<{width}}  {c.detail}")
    if any(c.status == FAIL for c in checks):
        sys.exit(1)


def register(main: click.Group) -> None:
    """Attach `doctor` to the root group."""
    main.add_command(doctor)
