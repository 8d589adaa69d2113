"""`pantau export tiers|families`: the dashboard's exports as files, for admins' spreadsheets.

The same rows as `/exports/…` (core.usecases.browse.exports): tiers per IMP with the six role
levels; KRS families by their pseudonymous key only, never a KK number, NIK or name. Every
export is audited, as on the web.
"""

from __future__ import annotations

import getpass
import os
import sys
import tempfile
from pathlib import Path

import click

from cli.common import sessions, settings_from
from cli.errors import BadInput
from cli.imps import wilayah_option


@click.command("export")
@click.argument("name", type=click.Choice(["tiers", "families"]))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "xlsx"]),
    default=None,
    help="csv (`;`, UTF-8 with BOM, as Excel in Indonesia reads it) or xlsx [default: from -o]",
)
@click.option("--period", default=None, help="tiers of this period / families surveyed in it")
@click.option("--wilayah", default=None, help="dotted code or prefix, e.g. 32.77.01")
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    metavar="FILE",
    help="where to write it; `-` writes CSV to standard output",
)
@click.pass_context
def export_cmd(
    ctx: click.Context,
    name: str,
    fmt: str | None,
    period: str | None,
    wilayah: str | None,
    output: str,
) -> None:
    """Write IMP tiers or KRS families (pseudonymised) as CSV or XLSX."""
    from core.domain.access import Scope
    from core.domain.scoring import period_kind

    fmt = _format(fmt, output)
    if period is not None:
        period_kind(period)  # PeriodError: one line, exit 2
    code = wilayah_option(wilayah)
    target = None if output == "-" else Path(output)
    if target is not None and not target.parent.is_dir():
        raise BadInput(f"-o {output}: no folder {target.parent}")
    settings = settings_from(ctx)
    from core.store.db import session_scope
    from core.usecases.audit import record
    from core.usecases.browse.exports import export

    with session_scope(sessions(settings)) as session:
        body = export(session, Scope(None).narrowed(code), name, fmt, period)
        filters = {"wilayah": code, "period": period} if code or period else None
        record(session, f"cli:{getpass.getuser()}", f"export.{name}", fmt, filters=filters)
        # Written inside the unit of work: an export that cannot be written is not audited.
        _write(target, body)
    if target is not None:
        click.echo(f"wrote {name} ({fmt}, {len(body):,} bytes) to {target}", err=True)


def _format(fmt: str | None, output: str) -> str:
    suffix = Path(output).suffix.lower().lstrip(".")
    if fmt is None:
        fmt = suffix if suffix in ("csv", "xlsx") else "csv"
    if output == "-" and fmt != "csv":
        raise BadInput("-o - (standard output) takes --format csv only")
    if suffix in ("csv", "xlsx") and suffix != fmt:
        raise BadInput(f"-o {output} does not end in .{fmt} (--format {fmt})")
    return fmt


def _write(target: Path | None, body: bytes) -> None:
    if target is None:
        sys.stdout.buffer.write(body)
        sys.stdout.flush()
        return
    # Whole or not at all: a spreadsheet half-written would be read as the export.
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(body)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def register(main: click.Group) -> None:
    """Attach `export` to the root group."""
    main.add_command(export_cmd)
