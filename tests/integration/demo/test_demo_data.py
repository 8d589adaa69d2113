"""The demo IMP registry (the shipped demo/imps.csv, imported as a district would) and summary."""

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cli.main import main
from core.store.db import session_scope
from core.store.models import Institution, TierAssessment
from core.usecases.wilayah import load_wilayah
from demo import DEMO_PREFIX
from demo.registry import (
    DEMO_IMPS,
    import_demo_registry,
    kelompok_kb_code,
    ppkbd_code,
    sub_ppkbd_code,
)
from demo.summary import stored_tiers
from tests.conftest import pantau_env


@pytest.fixture
def cimahi(session_factory):
    with session_scope(session_factory) as session:
        load_wilayah(session, DEMO_PREFIX)
    return session_factory


def _institutions(factory):
    with factory() as session:
        return {
            i.code: (i.kind, i.desa_code, i.parent.code if i.parent else None, i.rw, i.rt)
            for i in session.scalars(select(Institution))
        }


def test_demo_registry__the_shipped_csv_imports_through_pantau_imps_import(settings, cimahi):
    result = CliRunner().invoke(
        main, ["imps", "import", str(DEMO_IMPS), "--json"], env=pantau_env(settings)
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    rows = _institutions(cimahi)
    assert len(report["created"]) == len(rows) and report["unchanged"] == 0
    assert sum(kind == "ppkbd" for kind, *_ in rows.values()) == 15  # one per kelurahan
    assert rows[ppkbd_code("32.77.01.1001")] == ("ppkbd", "32.77.01.1001", None, None, None)
    sub = sub_ppkbd_code("32.77.01.1001", "004")
    assert rows[sub] == ("sub_ppkbd", "32.77.01.1001", ppkbd_code("32.77.01.1001"), "004", None)
    kkb = kelompok_kb_code("32.77.01.1001", "004", "001")
    assert rows[kkb] == ("kelompok_kb", "32.77.01.1001", sub, "004", "001")


def test_demo_registry__a_second_import_changes_nothing(cimahi):
    with session_scope(cimahi) as session:
        first = import_demo_registry(session)
    with session_scope(cimahi) as session:
        second = import_demo_registry(session)
    assert second.created == [] and second.updated == []
    assert len(second.unchanged) == len(first.created)


def test_stored_tiers__lists_the_period_ppkbd_first(cimahi):
    with session_scope(cimahi) as session:
        import_demo_registry(session)
        for imp, period, tier in [
            (sub_ppkbd_code("32.77.01.1001", "004"), "2026-11", "dasar"),
            (ppkbd_code("32.77.02.1001"), "2026-11", "dasar"),
            (ppkbd_code("32.77.01.1001"), "2026-11", "mandiri"),
            (ppkbd_code("32.77.01.1001"), "2026-12", "dasar"),
        ]:
            session.add(
                TierAssessment(
                    imp_code=imp,
                    period=period,
                    tier=tier,
                    roles={},
                    explanation={},
                    rules_version="t",
                )
            )
    with cimahi() as session:
        rows = stored_tiers(session, "2026-11")
    assert [(r.imp, r.tier) for r in rows] == [
        (ppkbd_code("32.77.01.1001"), "mandiri"),
        (ppkbd_code("32.77.02.1001"), "dasar"),
        (sub_ppkbd_code("32.77.01.1001", "004"), "dasar"),
    ]
