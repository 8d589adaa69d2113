"""Run Alembic migrations from code (`pantau db upgrade`, tests, the demo), and check them.

Only `pantau db upgrade` and the demo migrate. Every other command opens the database with
`open_migrated`, which refuses one that is missing, never migrated or behind this code: a
mistyped `PANTAU_DATABASE_URL` must not quietly become a second, empty database.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, Engine, func, make_url, select
from sqlalchemy import table as sa_table

from config.settings import Settings
from core.store.db import TRANSIENT, make_engine
from core.store.errors import DatabaseNotReady, DatabaseUnavailable, MigrationError

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config() -> Config:
    """Alembic configuration pointing at the project's migrations folder."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


@lru_cache(maxsize=1)
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """The revision this code's schema is at (the newest migration)."""
    revision = _scripts().get_current_head()
    assert revision is not None
    return revision


def check_revision(revision: str) -> None:
    """MigrationError unless revision names a migration (or `head`)."""
    if revision == "head":
        return
    try:
        found = _scripts().get_revision(revision)
    except CommandError:
        found = None
    if found is None:
        known = ", ".join(s.revision for s in _scripts().walk_revisions())
        raise MigrationError(f"no migration {revision!r} (known: head, {known})")


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database behind engine up to revision (MigrationError for an unknown one)."""
    check_revision(revision)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def refuse_to_drop_rows(conn: Connection, revision: str, tables: tuple[str, ...]) -> None:
    """MigrationError if a table that migration `revision` drops and re-creates holds rows.

    0002 and 0003 replace tables of 0001 that no command or job of Pantau ever wrote to, so a
    row there was put in by hand or by another tool: the district's, and not ours to drop. The
    upgrade runs in one transaction, so a refusal leaves the database as it was.
    """
    count = select(func.count())
    counts = {t: conn.execute(count.select_from(sa_table(t))).scalar_one() for t in tables}
    held = {table: rows for table, rows in counts.items() if rows}
    if not held:
        return
    named = ", ".join(f"{table} ({rows} row(s))" for table, rows in held.items())
    dump = (
        "sqlite3 DATABASE '.dump TABLE'"
        if conn.dialect.name == "sqlite"
        else "pg_dump --data-only -t TABLE"
    )
    raise MigrationError(
        f"migration {revision} replaces tables Pantau never wrote to, and these hold rows put "
        f"there some other way: {named}. Copy the rows elsewhere (e.g. {dump}), empty the "
        "tables, then run `pantau db upgrade` again"
    )


def current(engine: Engine) -> str | None:
    """The revision the database is at, or None before the first migration."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def safe_url(settings: Settings) -> str:
    """The database URL without its password, to name in messages."""
    return make_url(settings.database_url).render_as_string(hide_password=True)


def check_current(engine: Engine, settings: Settings) -> str:
    """The database's revision when it is this code's head; else DatabaseNotReady saying why."""
    try:
        revision = current(engine)
    except TRANSIENT as exc:
        lines = str(getattr(exc, "orig", None) or exc.__class__.__name__).strip().splitlines()
        raise DatabaseUnavailable(
            f"database unavailable at {safe_url(settings)}: {lines[0] if lines else ''}"
        ) from exc
    wanted = head()
    if revision == wanted:
        return revision
    where = f"the database at {safe_url(settings)}"
    if revision is None:
        raise DatabaseNotReady(
            f"{where} has never been migrated: check PANTAU_DATABASE_URL, or run "
            "`pantau db upgrade` to create Pantau's tables there"
        )
    try:
        _scripts().get_revision(revision)
    except CommandError:
        raise DatabaseNotReady(
            f"{where} is at revision {revision}, which this version of Pantau does not know "
            "(a newer Pantau migrated it)"
        ) from None
    raise DatabaseNotReady(
        f"{where} is at revision {revision}, this version needs {wanted}: run `pantau db upgrade`"
    )


def open_migrated(settings: Settings) -> Engine:
    """The engine of the configured database, refusing one that is missing or not migrated."""
    engine = make_engine(settings, create=False)
    try:
        check_current(engine, settings)
    except BaseException:
        engine.dispose()
        raise
    return engine
