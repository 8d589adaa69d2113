"""Helpers shared by CLI commands: settings, a database session factory, JSON/table output."""

from __future__ import annotations

import json
from typing import Any

import click
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings, load_settings


def sessions(settings: Settings) -> sessionmaker[Session]:
    """Session factory on the configured database, refused unless it is migrated to this code.

    Only `pantau db upgrade` and the demo migrate: every other command meeting a missing or
    unmigrated database stops (exit 2) before creating a file, a folder or a row.
    """
    from core.store.db import make_session_factory
    from core.store.migrate import open_migrated

    return make_session_factory(open_migrated(settings))


def echo_json(rows: Any) -> None:
    """Print rows as JSON (dates as ISO strings, non-ASCII kept readable)."""
    click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))


def echo_table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    """Print rows as a plain aligned table."""
    if not rows:
        click.echo("(none)")
        return
    widths = {c: max(len(c), *(len(_text(r.get(c, ""))) for r in rows)) for c in columns}
    click.echo("  ".join(c.ljust(widths[c]) for c in columns).rstrip())
    for r in rows:
        click.echo("  ".join(_text(r.get(c, "")).ljust(widths[c]) for c in columns).rstrip())


def _text(value: Any) -> str:
    # People read these tables: yes/no, not Python's True/False; nothing for None.
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value is None:
        return ""
    return str(value)


def settings_from(ctx: click.Context) -> Settings:
    """Settings for this invocation, validated once and cached on the root context."""
    from cli.errors import debug_to_stderr

    root = ctx.find_root()
    root.ensure_object(dict)
    if "settings" not in root.obj:
        root.obj["settings"] = load_settings()
        debug_to_stderr(root.obj["settings"].log_level)
    return root.obj["settings"]
