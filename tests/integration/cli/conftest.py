"""Running `pantau` in-process as a district admin would: a working directory of its own."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from cli.main import main
from tests.conftest import ROOT, make_settings, pantau_env

FORMS_DIR = ROOT / "xlsforms"


@dataclass
class Admin:
    """A working directory with an embedded database migrated from the template."""

    home: Path  # the working directory commands run in
    db: Path
    good_env: dict[str, str]

    def run(self, args: list[str], env: dict[str, str | None], stdin: str | None = None) -> Result:
        """Run `pantau ARGS` in home with exactly env as its PANTAU_* environment."""
        cleared: dict[str, str | None] = {k: None for k in os.environ if k.startswith("PANTAU_")}
        with _cwd(self.home):
            return CliRunner().invoke(main, args, env={**cleared, **env}, input=stdin)


@contextmanager
def _cwd(path: Path) -> Iterator[None]:
    before = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(before)


@pytest.fixture
def admin(tmp_path: Path, _sqlite_template: Path) -> Admin:
    """A fresh working directory (`home`) with a migrated SQLite database under var/."""
    home = tmp_path / "home"
    (home / "var").mkdir(parents=True)
    db = home / "var" / "pantau.db"
    shutil.copy(_sqlite_template, db)
    settings = make_settings(
        home, database_url=f"sqlite:///{db}", forms_dir=FORMS_DIR, build_dir=home / "build"
    )
    env = pantau_env(settings, PANTAU_LOG_LEVEL="WARNING")
    return Admin(home, db, env)


@pytest.fixture
def admin_sessions(admin: Admin):
    """A session factory on the admin's database (to set up what a test needs)."""
    from core.store.db import make_engine, make_session_factory

    engine = make_engine(make_settings(admin.home, database_url=f"sqlite:///{admin.db}"))
    yield make_session_factory(engine)
    engine.dispose()


def table_counts(db: Path) -> dict[str, int]:
    """Rows of every table of a SQLite database (nothing when the file is absent)."""
    if not db.exists():
        return {}
    engine = sa.create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as conn:
            names = sa.inspect(conn).get_table_names()
            return {n: conn.execute(sa.text(f'SELECT count(*) FROM "{n}"')).scalar() for n in names}
    finally:
        engine.dispose()


def tree(root: Path) -> dict[str, int]:
    """Every file and folder under root with its size; SQLite's own -wal/-shm files left out."""
    out = {}
    for path in sorted(root.rglob("*")):
        if path.name.endswith(("-wal", "-shm", "-journal")):
            continue
        out[str(path.relative_to(root))] = path.stat().st_size if path.is_file() else -1
    return out
