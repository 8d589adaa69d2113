"""What every benchmark shares: fresh databases per backend, settings, timing, tables, failure."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from config.settings import Settings, load_settings
from core.store.db import make_engine
from core.store.migrate import upgrade

BACKENDS = ("sqlite", "postgresql")
ROOT = Path(__file__).resolve().parent.parent


class BenchFailure(Exception):
    """A benchmark whose numbers would be meaningless (errors, wrong counts): fail the run."""


@dataclass
class Database:
    """A fresh, migrated database of one backend, dropped by `drop()`."""

    backend: str
    url: str
    drop: Callable[[], None]


def pg_admin_url() -> str:
    """The private PostgreSQL that scripts/bench.sh started (via scripts/services.sh)."""
    url = os.environ.get("PANTAU_TEST_PG_URL")
    if not url:
        raise BenchFailure("PANTAU_TEST_PG_URL is not set: run through `make bench`")
    return url


def redis_url() -> str:
    """The private Redis that scripts/bench.sh started."""
    url = os.environ.get("PANTAU_TEST_REDIS_URL")
    if not url:
        raise BenchFailure("PANTAU_TEST_REDIS_URL is not set: run through `make bench`")
    return url


def fresh_database(backend: str, workdir: Path, name: str) -> Database:
    """Create and migrate an empty database named name (a file under workdir for SQLite)."""
    if backend == "sqlite":
        path = workdir / f"{name}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        drop = lambda: None  # noqa: E731 - the work dir goes as a whole
    else:
        admin_url = pg_admin_url()
        db = f"bench_{name}_{uuid.uuid4().hex[:6]}"
        admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{db}"'))
        admin.dispose()
        url = admin_url.rsplit("/", 1)[0] + "/" + db

        def drop() -> None:
            eng = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with eng.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))
            eng.dispose()

    engine = make_engine(settings_for(url, workdir))
    upgrade(engine)
    engine.dispose()
    return Database(backend, url, drop)


BENCH_KEYS = {
    "secret_key": "bench-app-secret-3f8a1c5e7b9d2f4a6c8e0g2i4k",
    "pseudonym_key": "bench-pseudonym-key-Wq7Er3Ty9Ui5Op1As6Df2Gh",
}


def settings_for(url: str, workdir: Path, **overrides: Any) -> Settings:
    """Settings on url with everything else under workdir (no `.env` of the developer's)."""
    values: dict[str, Any] = {
        "database_url": url,
        "var_dir": workdir / "var",
        # Throwaway keys for a private loopback benchmark, strong enough for PANTAU_ENV=test.
        "env": "test",
        "secret_key": BENCH_KEYS["secret_key"],
        "pseudonym_key": BENCH_KEYS["pseudonym_key"],
        "log_level": "WARNING",
        "_env_file": None,
    }
    values.update(overrides)
    return load_settings(**values)


@contextmanager
def timed() -> Iterator[list[float]]:
    """Measure the block's wall time; the yielded list holds it (seconds) afterwards."""
    out: list[float] = []
    start = time.perf_counter()
    try:
        yield out
    finally:
        out.append(time.perf_counter() - start)


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print a titled, aligned table (numbers right-aligned)."""
    cells = [[_fmt(v) for v in row] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)
    ]
    numeric = [
        all(_is_number(row[i]) for row in rows) if rows else False for i in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w)
            for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    print(f"\n== {title}")
    print(line(list(headers)))
    print("  ".join("-" * w for w in widths))
    for row in cells:
        print(line(row))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _fmt(value: Any) -> str:
    if isinstance(value, bool) or not _is_number(value):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"
