"""`pantau imps import|list`: the district's IMP registry."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cli.common import echo_json, echo_table, sessions, settings_from


def wilayah_option(value: str | None, hint: str = "--wilayah") -> str | None:
    """A --wilayah value as a dotted Kemendagri code (3277 and 32.77 alike), or exit 2."""
    if value is None:
        return None
    from core.domain.wilayah import UnknownWilayah, parse_code

    try:
        return parse_code(value)
    except UnknownWilayah as exc:
        raise click.BadParameter(str(exc), param_hint=hint) from None


@click.group()
def imps() -> None:
    """The IMP registry: PPKBD, Sub-PPKBD and Kelompok KB of the district."""


@imps.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--deactivate-missing",
    is_flag=True,
    help="Deactivate registered IMPs that the file does not list.",
)
@click.option("--json", "as_json", is_flag=True, help="Print what changed as JSON.")
@click.pass_context
def import_cmd(ctx: click.Context, file: Path, deactivate_missing: bool, as_json: bool) -> None:
    """Import FILE (CSV or XLSX, columns code,name,kind,desa,rw,rt,parent); all rows or none."""
    settings = settings_from(ctx)
    from core.store.db import session_scope
    from core.usecases.registry import RegistryError, import_imps

    try:
        with session_scope(sessions(settings)) as session:
            report = import_imps(session, file, deactivate_missing=deactivate_missing)
    except RegistryError as exc:
        for line in exc.problems:
            click.echo(f"{file.name}: {line}", err=True)
        click.echo(f"pantau: nothing imported ({len(exc.problems)} problem(s))", err=True)
        sys.exit(2)
    if as_json:
        echo_json(report.to_dict())
        return
    click.echo(
        f"imported {report.rows} IMPs from {file.name}: {len(report.created)} new, "
        f"{len(report.updated)} changed, {len(report.unchanged)} unchanged"
        + (f", {len(report.deactivated)} deactivated" if deactivate_missing else "")
    )
    for label, codes in (
        ("new", report.created),
        ("changed", report.updated),
        ("deactivated", report.deactivated),
    ):
        if codes:
            click.echo(f"  {label}: {', '.join(codes)}")
    if report.changed:
        click.echo(
            "  the IMP list kader choose from changed: send it with "
            "`pantau forms publish --all --to kobo|central` (or name the IMP forms)"
        )


@imps.command("list")
@click.option("--wilayah", default=None, help="dotted code or prefix, e.g. 32.77 or 3277")
@click.option("--json", "as_json", is_flag=True, help="a JSON list, one object per IMP")
@click.option("--all", "include_inactive", is_flag=True, help="include deactivated IMPs")
@click.pass_context
def list_cmd(
    ctx: click.Context, wilayah: str | None, as_json: bool, include_inactive: bool
) -> None:
    """Registered IMPs, by desa/kelurahan."""
    settings = settings_from(ctx)
    from dataclasses import asdict

    from core.store.registry import listing

    code = wilayah_option(wilayah)
    with sessions(settings)() as session:
        rows = [asdict(r) for r in listing(session, code, active_only=not include_inactive)]
    if as_json:
        echo_json(rows)
        return
    echo_table(rows, ["code", "kind", "name", "desa", "desa_name", "rw", "rt", "parent", "active"])


def register(main: click.Group) -> None:
    """Attach `imps` to the root group."""
    main.add_command(imps)
