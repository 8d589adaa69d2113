"""`pantau score …` through the CLI, on stored submissions that came in through the webhook."""

import gc
import json
import shutil
from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from cli.main import main
from core.domain.scoring import PeriodError
from core.store.models import DomainEvent, Institution, TierAssessment
from core.usecases.rescoring import score_imps
from core.wiring import rules_for
from tests.conftest import make_settings, pantau_env
from tests.integration.intake.conftest import AUTH, submit_and_read
from tests.support.submissions import DESA, family_answers, meeting_answers

NO_KK = "3277010101200012"


def _cli(settings, *args):
    result = CliRunner().invoke(main, list(args), env=pantau_env(settings))
    assert result.exit_code == 0, result.output
    return result.output


def _deliver(client, sandbox, form, answers, **kw):
    rec = submit_and_read(sandbox, form, answers, **kw)
    assert client.post("/webhooks/kobo", json=rec, headers=AUTH).status_code == 202
    return rec


def test_score_families__json_shape_without_the_kk_number(
    settings, client, kobo_sandbox, family_form
):
    _deliver(client, kobo_sandbox, family_form, family_answers(NO_KK))
    out = _cli(settings, "score", "families", "--json")
    assert NO_KK not in out
    rows = json.loads(out)
    assert len(rows) == 1
    fam = rows[0]
    assert set(fam) >= {"family", "desa", "target", "krs", "factors", "children"}
    assert fam["family"].startswith("kel_") and fam["desa"] == DESA
    assert fam["target"] is True
    assert fam["factors"]["air_tidak_layak"] is True  # sumur tidak terlindung
    assert fam["krs"] is True
    (child,) = fam["children"]
    assert child["age_days"] == 682
    assert abs(child["haz"] - (-2.84)) < 0.01
    assert child["category"] == "pendek"


def test_score_families__a_later_survey_updates_the_familys_history(
    settings, client, kobo_sandbox, family_form
):
    _deliver(
        client,
        kobo_sandbox,
        family_form,
        family_answers(NO_KK, survey=date(2026, 4, 20), haz_child_cm=70.0),
    )
    _deliver(
        client,
        kobo_sandbox,
        family_form,
        family_answers(NO_KK, survey=date(2026, 10, 20), haz_child_cm=78.0),
    )
    rows = json.loads(_cli(settings, "score", "families", "--json"))
    assert len(rows) == 1  # one family, two surveys
    history = rows[0]["history"]
    assert [h["survey_date"] for h in history] == ["2026-04-20", "2026-10-20"]
    assert all(len(h["children"]) == 1 for h in history)


def test_score_families__wilayah_filter_is_by_dotted_prefix(
    settings, client, kobo_sandbox, family_form
):
    _deliver(client, kobo_sandbox, family_form, family_answers(NO_KK))
    assert len(json.loads(_cli(settings, "score", "families", "--wilayah", "32.77", "--json"))) == 1
    assert json.loads(_cli(settings, "score", "families", "--wilayah", "3277", "--json")) != []
    assert json.loads(_cli(settings, "score", "families", "--wilayah", "32.78", "--json")) == []
    # Not a Kemendagri code: refused in one line rather than an empty answer (issue 15).
    refused = CliRunner().invoke(
        main, ["score", "families", "--wilayah", "32.7"], env=pantau_env(settings)
    )
    assert refused.exit_code == 2 and len(refused.stderr.splitlines()) == 1


def test_score_imp__json_tiers_roles_and_a_tier_change_event(
    settings, client, kobo_sandbox, meeting_form, session_factory
):
    _deliver(client, kobo_sandbox, meeting_form, meeting_answers(day=date(2026, 10, 6)))
    rows = json.loads(_cli(settings, "score", "imp", "--period", "2026-10", "--json"))
    assert len(rows) == 1
    row = rows[0]
    assert row["imp"] == "PPKBD-32.77.01.1001" and row["period"] == "2026-10"
    assert row["tier"] in ("dasar", "berkembang", "mandiri")
    assert set(row["roles"]) == {
        "pengorganisasian",
        "pertemuan",
        "kie_konseling",
        "pencatatan",
        "pelayanan",
        "kemandirian",
    }
    assert all(level in (1, 2, 3) for level in row["roles"].values())
    # No profile, no reports: the tier is Dasar, and the explanation says what is missing.
    assert row["tier"] == "dasar"
    with session_factory() as s:
        stored = s.scalars(select(TierAssessment)).one()
        assert stored.explanation["roles"]["pengorganisasian"]["no_evidence"] is True
        events = s.scalars(select(DomainEvent).where(DomainEvent.kind == "imp_tier_changed")).all()
        assert [e.payload["to"] for e in events] == ["dasar"]
        # A first tier: nothing for the alert steps to do, but recorded as handled all the same.
        assert events[0].payload["from"] is None and events[0].handled_at is not None
        assert "error" not in events[0].payload


def test_score_imp__rules_file_threshold_changes_the_tier_without_code(
    settings, client, kobo_sandbox, meeting_form, tmp_path
):
    _deliver(client, kobo_sandbox, meeting_form, meeting_answers(day=date(2026, 10, 6)))
    before = json.loads(_cli(settings, "score", "imp", "--period", "2026-10", "--json"))[0][
        "roles"
    ]["pertemuan"]
    rules = tmp_path / "rules"
    shutil.copytree(settings.rules_dir, rules)
    text = (rules / "imp_rubric.toml").read_text()
    # Ask for more meetings a month than there were: the role must drop to Dasar.
    assert "month = 1" in text
    (rules / "imp_rubric.toml").write_text(text.replace("month = 1", "month = 5", 1))
    strict = make_settings(
        settings.var_dir.parent, database_url=settings.database_url, rules_dir=rules
    )
    after = json.loads(_cli(strict, "score", "imp", "--period", "2026-10", "--json"))[0]["roles"][
        "pertemuan"
    ]
    assert before >= 2 and after == 1


def test_score_imp__sub_ppkbd_meetings_roll_up_to_the_ppkbd(
    settings, client, kobo_sandbox, meeting_form, session_factory
):
    with session_factory() as s:
        from core.store.models import Wilayah

        s.add(Wilayah(code=DESA, name="Melong", level=4, kind="kelurahan", parent_code="32.77.01"))
        s.flush()
        parent = Institution(
            code="PPKBD-32.77.01.1001", name="Melong", kind="ppkbd", desa_code=DESA
        )
        s.add(parent)
        s.flush()
        s.add(
            Institution(
                code="SUB-004", name="RW 04", kind="sub_ppkbd", desa_code=DESA, parent_id=parent.id
            )
        )
        s.commit()
    _deliver(
        client, kobo_sandbox, meeting_form, meeting_answers(imp="SUB-004", day=date(2026, 10, 6))
    )
    rows = {
        r["imp"]: r
        for r in json.loads(_cli(settings, "score", "imp", "--period", "2026-10", "--json"))
    }
    assert rows["SUB-004"]["roles"]["pertemuan"] >= 2
    # The PPKBD has no meeting of its own; its Sub-PPKBD's meeting counts for it.
    assert rows["PPKBD-32.77.01.1001"]["roles"]["pertemuan"] >= 2


def test_score_families__wilayah_wildcards_are_refused_not_matched(
    settings, client, kobo_sandbox, family_form
):
    _deliver(client, kobo_sandbox, family_form, family_answers(NO_KK))
    assert len(json.loads(_cli(settings, "score", "families", "--json"))) == 1
    for pattern in ("%", "_", "32.%", "3_.77", "32.77.__.1001"):
        result = CliRunner().invoke(
            main, ["score", "families", "--wilayah", pattern, "--json"], env=pantau_env(settings)
        )
        assert result.exit_code == 2, pattern
        assert result.stdout == "" and "Kemendagri" in result.stderr, pattern
    assert len(json.loads(_cli(settings, "score", "families", "--wilayah", "32.77", "--json"))) == 1


def test_score__the_garbage_collector_is_back_on_after_a_rescore_done_or_failed(
    settings, client, kobo_sandbox, meeting_form, family_form, session_factory
):
    # A whole re-score pauses the cyclic collector; a worker process that kept it off would
    # grow without bound after the first re-score.
    _deliver(client, kobo_sandbox, meeting_form, meeting_answers())
    _deliver(client, kobo_sandbox, family_form, family_answers(NO_KK))
    assert gc.isenabled()
    assert json.loads(_cli(settings, "score", "imp", "--json"))
    assert gc.isenabled()
    assert json.loads(_cli(settings, "score", "families", "--json"))
    assert gc.isenabled()
    # Failing inside (the CLI refuses a bad --period before; the periodic task does not).
    with session_factory() as session, pytest.raises(PeriodError):
        score_imps(session, rules_for(settings), period="2026-13")
    assert gc.isenabled()
