"""Seeding the demo IMP registry: one PPKBD per kelurahan, a few sub-units, idempotent."""

import pytest
from sqlalchemy import func, select

from core.store.db import session_scope
from core.store.models import Institution, TierAssessment
from core.usecases.wilayah import load_wilayah
from demo import DEMO_PREFIX
from demo.registry import (
    DemoDataError,
    kelompok_kb_code,
    ppkbd_code,
    seed_registry,
    sub_ppkbd_code,
)
from demo.summary import stored_tiers


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


def test_seed_registry__one_ppkbd_per_kelurahan_and_sub_units_under_parents(cimahi):
    with session_scope(cimahi) as session:
        result = seed_registry(session)
    assert result.created["ppkbd"] == 15
    assert result.created["sub_ppkbd"] >= 3 and result.created["kelompok_kb"] >= 3
    assert result.existing == {"ppkbd": 0, "sub_ppkbd": 0, "kelompok_kb": 0}
    rows = _institutions(cimahi)
    assert rows[ppkbd_code("32.77.01.1001")] == ("ppkbd", "32.77.01.1001", None, None, None)
    sub = sub_ppkbd_code("32.77.01.1001", "004")
    assert rows[sub] == ("sub_ppkbd", "32.77.01.1001", ppkbd_code("32.77.01.1001"), "004", None)
    kkb = kelompok_kb_code("32.77.01.1001", "004", "001")
    assert rows[kkb] == ("kelompok_kb", "32.77.01.1001", sub, "004", "001")
    assert all(len(code) <= 40 for code in rows)


def test_seed_registry__second_run_adds_nothing_and_keeps_edits(cimahi):
    with session_scope(cimahi) as session:
        first = seed_registry(session)
    with session_scope(cimahi) as session:
        # A district renamed one PPKBD meanwhile: seeding again must not undo it.
        imp = session.scalar(
            select(Institution).where(Institution.code == ppkbd_code("32.77.01.1001"))
        )
        imp.name = "Pos KB Melong Sejahtera"
    with session_scope(cimahi) as session:
        second = seed_registry(session)
    assert sum(second.created.values()) == 0
    assert second.existing == first.created
    with cimahi() as session:
        assert session.scalar(select(func.count(Institution.id))) == first.total
        name = session.scalar(
            select(Institution.name).where(Institution.code == ppkbd_code("32.77.01.1001"))
        )
    assert name == "Pos KB Melong Sejahtera"


def test_seed_registry__without_wilayah_says_what_to_load_first(session_factory):
    with session_scope(session_factory) as session, pytest.raises(DemoDataError, match="wilayah"):
        seed_registry(session)


def test_stored_tiers__lists_the_period_ppkbd_first(cimahi):
    with session_scope(cimahi) as session:
        seed_registry(session)
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
