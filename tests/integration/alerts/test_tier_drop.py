"""An IMP whose tier dropped is announced to its PKB/PLKB, in its language; never to the TPPS."""

from __future__ import annotations

from sqlalchemy import select

from core.store.models import Alert, TierAssessment
from service.app import create_app
from tests.integration.alerts.conftest import cli
from tests.integration.alerts.helpers import deliver_all, post_survey
from tests.support.submissions import DESA, IMP, meeting_answers, publish_in_sandbox


def test_tier_drop__mails_the_pkb_of_the_kecamatan_in_english(
    alert_settings, recipients, kobo_sandbox, smtp_sink, session_factory, tmp_path
):
    registry = tmp_path / "imps.csv"
    registry.write_text(
        f"code,name,kind,desa\n{IMP},Pos KB Melong,ppkbd,{DESA}\n", encoding="utf-8"
    )
    cli(alert_settings, "imps", "import", str(registry))
    with session_factory() as s:
        form = publish_in_sandbox(kobo_sandbox, s, "pertemuan_imp")
        # Last time this IMP was scored for October it was Mandiri.
        s.add(TierAssessment(imp_code=IMP, period="2026-10", tier="mandiri", roles={},
                             explanation={}, rules_version="test"))  # fmt: skip
        s.commit()
    app = create_app(alert_settings)
    post_survey(app.test_client(), kobo_sandbox, form, meeting_answers())
    app.extensions["pantau.engine"].dispose()
    cli(alert_settings, "score", "imp", "--period", "2026-10", "--json")
    with session_factory() as s:
        (alert,) = s.scalars(select(Alert)).all()
        assert alert.kind == "tingkat_imp_turun" and alert.imp_code == IMP
    assert deliver_all(alert_settings, session_factory) == ["sent"]
    (mail,) = smtp_sink.received
    assert mail.rcpt_tos == ["pkb.cisel@example.go.id"]
    assert mail.body.startswith("Dear PKB/PLKB,")
    assert f"The tier of IMP {IMP} dropped from Mandiri to Dasar." in mail.body
    assert "Period: 2026-10" in mail.body


def test_tier_drop__a_tier_back_up_closes_that_periods_alert_only(
    alert_settings, recipients, kobo_sandbox, session_factory, tmp_path
):
    from core.store.scores import add_event
    from core.usecases.assessments import Step
    from core.usecases.processing import dispatch_events
    from core.wiring import rules_for

    registry = tmp_path / "imps.csv"
    registry.write_text(
        f"code,name,kind,desa\n{IMP},Pos KB Melong,ppkbd,{DESA}\n", encoding="utf-8"
    )
    cli(alert_settings, "imps", "import", str(registry))
    with session_factory() as s:
        # Mandiri in September and October when last scored; now neither has any evidence.
        for period in ("2026-09", "2026-10"):
            s.add(TierAssessment(imp_code=IMP, period=period, tier="mandiri", roles={},
                                 explanation={}, rules_version="test"))  # fmt: skip
        s.commit()
    for period in ("2026-09", "2026-10"):
        cli(alert_settings, "score", "imp", "--period", period, "--json")
    with session_factory() as s:
        assert sorted(a.finding_key for a in s.scalars(select(Alert))) == [
            f"tingkat_imp_turun:{IMP}:2026-09",
            f"tingkat_imp_turun:{IMP}:2026-10",
        ]
    # October's re-score rises (as one with the month's reports would): the event it records,
    # handled by the processing's own dispatch.
    with session_factory() as s:
        add_event(s, "imp_tier_changed", DESA,
                  {"imp": IMP, "period": "2026-10", "from": "dasar", "to": "berkembang"})  # fmt: skip
        assert dispatch_events(Step(s, rules_for(alert_settings))) == 1
        s.commit()
    with session_factory() as s:
        alerts = {a.finding_key.rsplit(":", 1)[1]: a for a in s.scalars(select(Alert))}
        assert alerts["2026-10"].status == "closed"
        assert "naik lagi" in alerts["2026-10"].closed_reason
        assert alerts["2026-09"].status == "open"
