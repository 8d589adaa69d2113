"""A new period starts with no submission in it: the beat job scores it from the profile."""

import shutil
from datetime import UTC, datetime

from sqlalchemy import select

from core.domain.scoring import period_of
from core.store.models import Fact, Submission, TierAssessment
from tests.conftest import pantau_env
from tests.support.processes import Proc, wait_for
from workers.celery_app import QUEUE_SCORING, make_celery


def test_score_current_period__rates_imps_whose_evidence_is_an_earlier_profile(
    settings, session_factory, tmp_path
):
    now = datetime.now(UTC)
    last_month = f"{now.year - (now.month == 1)}-{(now.month - 2) % 12 + 1:02d}"
    with session_factory() as s:
        sub = Submission(
            instance_id="p-1",
            root_id="p-1",
            source="replay",
            form_id="profil_imp",
            raw={},
            status="processed",
            is_latest=True,
            version_known=True,
        )
        s.add(sub)
        s.flush()
        s.add(
            Fact(
                submission_id=sub.id,
                form_id="profil_imp",
                desa_code="32.77.01.1001",
                imp_code="PPKBD-X",
                period=last_month,
                submitted_at=now,
                values={
                    "imp": "PPKBD-X",
                    "desa": "32.77.01.1001",
                    "periode": last_month,
                    "kepengurusan": "kolektif",
                    "pembagian_tugas_tertulis": "ya",
                    "ada_seksi": "ya",
                    "ada_sk": "ya",
                    "ada_peta_sasaran": "ya",
                    "upaya_kemandirian": ["iuran_anggota", "sekretariat"],
                    "poktan": ["bkb"],
                },
            )
        )
        s.commit()
    worker = Proc(["worker", "--concurrency", "1"], pantau_env(settings), tmp_path / "worker.log")
    try:
        make_celery(settings).send_task("pantau.score_current_period", queue=QUEUE_SCORING)
        current = period_of(now.date(), "month")

        def scored():
            with session_factory() as s:
                return s.scalars(
                    select(TierAssessment).where(TierAssessment.period == current)
                ).first()

        row = wait_for(scored, timeout=60, what=f"the current period scored\n{worker.output()}")
        assert row.imp_code == "PPKBD-X"
        assert row.roles["pengorganisasian"] == 3  # from last month's profile
    finally:
        worker.stop()


def test_score_current_period__semester_rubric_rates_every_active_imp_without_reports(
    settings, session_factory, tmp_path
):
    from tests.conftest import make_settings
    from tests.support.registry import IMP, SUB_IMP, seed_registry

    rules = tmp_path / "rules"
    shutil.copytree(settings.rules_dir, rules)
    rubric = rules / "imp_rubric.toml"
    rubric.write_text(rubric.read_text().replace('kind = "month"', 'kind = "semester"', 1))
    semester = make_settings(
        settings.var_dir.parent, database_url=settings.database_url, rules_dir=rules
    )
    with session_factory() as s:
        seed_registry(s)
        s.commit()
    worker = Proc(["worker", "--concurrency", "1"], pantau_env(semester), tmp_path / "worker.log")
    try:
        make_celery(semester).send_task("pantau.score_current_period", queue=QUEUE_SCORING)
        current = period_of(datetime.now(UTC).date(), "semester")

        def scored():
            with session_factory() as s:
                rows = s.scalars(
                    select(TierAssessment).where(TierAssessment.period == current)
                ).all()
                return rows if len(rows) == 2 else None

        rows = wait_for(scored, timeout=60, what=f"the semester scored\n{worker.output()}")
        # The registry's two active IMPs; the inactive one is not rated.
        assert sorted(r.imp_code for r in rows) == sorted([IMP, SUB_IMP])
        for row in rows:
            assert row.tier == "dasar"
            assert row.explanation["period_kind"] == "semester"
            assert [n["text_en"] for n in row.explanation["notes"]] == [
                "No report received in this period"
            ]
    finally:
        worker.stop()
