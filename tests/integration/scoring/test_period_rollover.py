"""A new period starts with no submission in it: the beat job scores it from the profile."""

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
