"""Everything below a PPKBD reports for it: a Kelompok KB under a Sub-PPKBD too.

The registry is three levels deep (PPKBD, Sub-PPKBD per RW, Kelompok KB per RT, each naming
its parent). A Kelompok KB's meeting is evidence for its Sub-PPKBD and for the PPKBD above
both, in the tiers processing stores and in `pantau score imp` alike.
"""

from __future__ import annotations

import json
from datetime import date

from click.testing import CliRunner
from sqlalchemy import select

from cli.main import main
from core.store.models import TierAssessment
from tests.conftest import pantau_env
from tests.integration.intake.conftest import AUTH, submit_and_read
from tests.support.submissions import DESA, meeting_answers
from workers.celery_app import make_celery

REGISTRY = (
    "code,name,kind,desa,rw,rt,parent\n"
    f"P1,Pos KB Melong,ppkbd,{DESA},,,\n"
    f"S1,Sub Pos KB RW 003,sub_ppkbd,{DESA},003,,P1\n"
    f"K1,Kelompok KB RT 002,kelompok_kb,{DESA},003,002,S1\n"
)


def _pantau(settings, *args: str) -> str:
    result = CliRunner().invoke(main, list(args), env=pantau_env(settings))
    assert result.exit_code == 0, result.output
    return result.stdout


def _stored_evidence(session_factory, imp: str) -> list[int]:
    with session_factory() as s:
        tier = s.scalar(
            select(TierAssessment).where(
                TierAssessment.imp_code == imp, TierAssessment.period == "2026-10"
            )
        )
        return tier.explanation["roles"]["pertemuan"]["evidence"]


def test_a_kelompok_kb_meeting_counts_for_its_sub_ppkbd_and_its_ppkbd(
    settings, client, kobo_sandbox, meeting_form, session_factory, tmp_path
):
    registry = tmp_path / "imps.csv"
    registry.write_text(REGISTRY)
    _pantau(settings, "imps", "import", str(registry))
    record = submit_and_read(kobo_sandbox, meeting_form, meeting_answers("K1", date(2026, 10, 14)))
    answer = client.post("/webhooks/kobo", json=record, headers=AUTH)
    assert answer.status_code == 202
    meeting = answer.get_json()["submission"]

    make_celery(settings).tasks["pantau.process_submissions"].apply(args=[[meeting]]).get()
    for imp in ("K1", "S1", "P1"):
        assert _stored_evidence(session_factory, imp) == [meeting], imp

    (row,) = json.loads(
        _pantau(settings, "score", "imp", "--period", "2026-10", "--explain", "P1", "--json")
    )
    assert row["explanation"]["roles"]["pertemuan"]["evidence"] == [meeting]
    assert _stored_evidence(session_factory, "P1") == [meeting]
