"""Helpers shared by CLI commands: a database session factory and JSON/table output."""

from __future__ import annotations

import json
from typing import Any

import click
from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings, load_settings
from core.store.db import make_engine, make_session_factory
from core.store.migrate import upgrade


def sessions(settings: Settings) -> sessionmaker[Session]:
    """Session factory on a migrated database."""
    engine = make_engine(settings)
    upgrade(engine)
    return make_session_factory(engine)


def echo_json(rows: Any) -> None:
    """Print rows as JSON (dates as ISO strings, non-ASCII kept readable)."""
    click.echo(json.dumps(rows, ensure_ascii=False, indent=2, default=str))


def echo_table(rows: list[dict[str, Any]], columns: list[str]) -> None:
    """Print rows as a plain aligned table."""
    if not rows:
        click.echo("(none)")
        return
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) for c in columns}
    click.echo("  ".join(c.ljust(widths[c]) for c in columns))
    for r in rows:
        click.echo("  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns))


def settings_from(ctx: click.Context) -> Settings:
    """Settings for this invocation, validated once and cached on the root context."""
    root = ctx.find_root()
    root.ensure_object(dict)
    if "settings" not in root.obj:
        root.obj["settings"] = load_settings()
    return root.obj["settings"]
