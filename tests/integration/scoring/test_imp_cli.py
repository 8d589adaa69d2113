"""`pantau score imp` on submissions that came in through the webhook, with the IMP registry."""

import json

import pytest
from click.testing import CliRunner

from cli.main import main
from tests.conftest import pantau_env
from tests.integration.intake.conftest import AUTH, submit_and_read
from tests.support.registry import IMP, SUB_IMP, seed_registry
from tests.support.submissions import profile_answers, publish_in_sandbox


def _run(settings, *args):
    return CliRunner().invoke(main, ["score", "imp", *args], env=pantau_env(settings))


def _json(settings, *args):
    result = _run(settings, *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _deliver(client, sandbox, form, answers):
    rec = submit_and_read(sandbox, form, answers)
    assert client.post("/webhooks/kobo", json=rec, headers=AUTH).status_code == 202
    return rec


@pytest.fixture
def registry(session_factory):
    with session_factory() as s:
        seed_registry(s)
        s.commit()


@pytest.fixture
def profile_form(kobo_sandbox, session_factory):
    with session_factory() as session:
        return publish_in_sandbox(kobo_sandbox, session, "profil_imp")


def test_score_imp__ppkbd_with_a_single_manager_is_berkembang_by_its_registry_kind(
    settings, client, kobo_sandbox, profile_form, registry, session_factory
):
    for imp in (IMP, SUB_IMP):
        _deliver(client, kobo_sandbox, profile_form, profile_answers(imp, board="tunggal"))
    rows = {r["imp"]: r for r in _json(settings, "--period", "2026-10")}
    assert rows[IMP]["roles"]["pengorganisasian"] == 2
    assert rows[SUB_IMP]["roles"]["pengorganisasian"] == 1
    from sqlalchemy import select

    from core.store.models import TierAssessment

    with session_factory() as s:
        stored = {
            t.imp_code: t.explanation["roles"]["pengorganisasian"]
            for t in s.scalars(select(TierAssessment))
        }
    (met,) = [c for c in stored[IMP]["met"] if c["code"] == "pengorganisasian.kepengurusan"]
    assert "Kepengurusan tunggal diterima untuk PPKBD (pengecualian pedoman" in met["text_id"]
    (unmet,) = [
        c for c in stored[SUB_IMP]["not_met"] if c["code"] == "pengorganisasian.kepengurusan"
    ]
    assert "only for PPKBD (this IMP: Sub-PPKBD)" in unmet["text_en"]
