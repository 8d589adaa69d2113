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
