"""The `pantau` command: one Click group, sub-commands registered from their own modules."""

from __future__ import annotations

from typing import Any

import click
from click.exceptions import NoArgsIsHelpError

from cli.errors import EXIT_BAD_INPUT, fail, fail_with, usage_line

CONTEXT = {"help_option_names": ["-h", "--help"]}


class PantauGroup(click.Group):
    """Ends every error in one line and an exit code (cli/errors.py), wherever it is raised."""

    def make_context(  # noqa: D102
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> click.Context:
        # The root's own options (`pantau --bogus`) are parsed here, before `invoke`.
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except NoArgsIsHelpError:
            raise
        except click.UsageError as exc:
            fail(usage_line(exc), exc.exit_code)

    def invoke(self, ctx: click.Context) -> object:  # noqa: D102
        try:
            return super().invoke(ctx)
        except NoArgsIsHelpError:
            raise  # a group without its command: Click prints the group's help
        except click.UsageError as exc:
            fail(usage_line(exc), exc.exit_code or EXIT_BAD_INPUT)
        except (click.exceptions.Exit, click.Abort, click.ClickException):
            raise
        except Exception as exc:  # the one place every error becomes a line
            fail_with(exc)


@click.group(name="pantau", cls=PantauGroup, context_settings=CONTEXT)
@click.version_option(package_name="pantau", prog_name="pantau")
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
        "cli.export",
        "cli.doctor",
    ):
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name == module:
                continue  # area not built yet
            raise
        mod.register(main)


_register()
