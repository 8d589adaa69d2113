"""`pantau sandbox ...`: local stand-ins for the data-collection servers."""

from __future__ import annotations

import click


@click.group()
def sandbox() -> None:
    """Run sandboxes that behave like the real collection servers."""


@sandbox.command("kobo")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8010, show_default=True, type=int)
@click.option("--token", default="sandbox-token", show_default=True, help="API token to accept.")
@click.option("--faults", default=None, help="Fault spec, e.g. 'data:429:count=3:retry_after=2'.")
@click.option("--db", "db_path", default="var/sandbox-kobo.db", show_default=True)
@click.option(
    "--retry-scale",
    default=1.0,
    show_default=True,
    type=float,
    help="Multiply hook retry backoff (0.001 compresses minutes to ms).",
)
@click.option(
    "--hook-concurrency",
    default=32,
    show_default=True,
    type=click.IntRange(min=1),
    help="REST Service deliveries in flight at once.",
)
def kobo(
    host: str,
    port: int,
    token: str,
    faults: str | None,
    db_path: str,
    retry_scale: float,
    hook_concurrency: int,
) -> None:
    """Serve a KoboToolbox-compatible API (kpi v2 + OpenRosa submission)."""
    from sandbox.kobo import run_sandbox
    from sandbox.kobo.faults import FaultSpecError, parse_spec

    try:
        parse_spec(faults)
    except FaultSpecError as exc:
        raise click.BadParameter(str(exc), param_hint="--faults") from exc
    click.echo(f"Kobo sandbox on http://{host}:{port}/ (token {token!r}, db {db_path})")
    run_sandbox(
        host,
        port,
        db_path=db_path,
        token=token,
        faults=faults,
        retry_scale=retry_scale,
        hook_concurrency=hook_concurrency,
    )


def register(main: click.Group) -> None:
    """Attach the `sandbox` group (kobo, plus central when present) to the `pantau` command."""
    import importlib

    try:
        central = importlib.import_module("cli.sandbox_central")
    except ModuleNotFoundError as exc:
        if exc.name != "cli.sandbox_central":
            raise
    else:
        central.register_into(sandbox)
    main.add_command(sandbox)
