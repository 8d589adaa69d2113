"""The `pantau` command: one Click group, sub-commands registered from their own modules."""

from __future__ import annotations

import sys

import click

from config.settings import SettingsError


class PantauGroup(click.Group):
    """Turns a bad setting into one clear line and exit code 2, wherever it is first read."""

    def invoke(self, ctx: click.Context) -> object:  # noqa: D102
        try:
            return super().invoke(ctx)
        except SettingsError as exc:
            click.echo(f"pantau: bad setting: {exc}", err=True)
            sys.exit(2)


@click.group(cls=PantauGroup)
@click.pass_context
def main(ctx: click.Context) -> None:
    """Pantau: IMP scoring and stunting-risk alerts for the Bangga Kencana programme."""
    ctx.ensure_object(dict)


def _register() -> None:
    # Each area owns its own module with one Click group or command.
    import importlib

    for module in (
        "cli.runtime",
        "cli.forms",
        "cli.sandbox",
        "cli.intake",
        "cli.score",
        "cli.imps",
        "cli.alerts",
        "cli.users",
        "cli.keys",
    ):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name == module:
                continue  # area not built yet
            raise
        mod.register(main)


_register()
