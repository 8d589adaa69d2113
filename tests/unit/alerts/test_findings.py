"""What deserves an alert: pure rules on an assessment's JSON shape, no database."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.domain.alerts import family_findings, load_alert_rules, tier_change_finding
from core.domain.scoring.errors import RulesError

RULES_DIR = Path(__file__).resolve().parents[3] / "config" / "rules"
RULES = load_alert_rules(RULES_DIR / "alerts.toml")


def _assessment(**kw):
    base = {
        "family": "kel_abc",
        "krs": False,
        "factors": {},
        "children": [],
        "pregnancy": None,
    }
    return {**base, **kw}


def _child(haz, **kw):
    return {"haz": haz, "age_days": 682, "sex": "l", "born_on": "2024-10-10", "height_cm": 78.0,
            "category": "pendek", "scored": True, "flagged": False, **kw}  # fmt: skip


def test_child_below_minus_two_alerts_and_below_minus_three_is_urgent():
    (stunted,) = family_findings(_assessment(children=[_child(-2.84)]), RULES, newly_krs=False)
    assert stunted.kind == "anak_di_bawah_minus_2sd" and not stunted.urgent
    assert stunted.values["umur_bulan"] == 22 and stunted.values["haz"] == "-2.84"
    (severe,) = family_findings(_assessment(children=[_child(-3.4)]), RULES, newly_krs=False)
    assert severe.urgent


def test_child_at_minus_two_or_above_is_no_alert():
    assert family_findings(_assessment(children=[_child(-2.0)]), RULES, newly_krs=False) == []


def test_implausible_measurement_never_alerts():
    child = _child(-7.5, flagged=True, category=None)
    assert family_findings(_assessment(children=[child]), RULES, newly_krs=False) == []
    child = _child(-7.5, flag="implausible", flagged=False)
    assert family_findings(_assessment(children=[child]), RULES, newly_krs=False) == []


def test_two_children_are_two_findings_keyed_by_birth_date():
    kids = [_child(-2.5), _child(-2.6, born_on="2022-01-01", sex="p")]
    keys = {f.key for f in family_findings(_assessment(children=kids), RULES, newly_krs=False)}
    assert keys == {
        "anak_di_bawah_minus_2sd:kel_abc:2024-10-10:l",
        "anak_di_bawah_minus_2sd:kel_abc:2022-01-01:p",
    }


@pytest.mark.parametrize(
    ("pregnancy", "factors", "kinds"),
    [
        ({"lila_cm": 23.0, "hb": 12.0}, {}, ["ibu_hamil_kek"]),
        ({"lila_cm": 24.0, "hb": 10.5}, {}, ["ibu_hamil_anemia"]),
        ({"lila_cm": 24.0, "hb": 11.0}, {}, []),  # 11 is not below 11
        ({"lila_cm": None, "hb": None}, {"istri_terlalu_muda": True}, ["kehamilan_4_terlalu"]),
        ({"lila_cm": None, "hb": None}, {"air_tidak_layak": True}, []),
    ],
)
def test_pregnancy_findings_follow_the_thresholds(pregnancy, factors, kinds):
    a = _assessment(pregnancy={"usia_kehamilan_bulan": 5, **pregnancy}, factors=factors)
    assert [f.kind for f in family_findings(a, RULES, newly_krs=False)] == kinds


def test_krs_is_news_only_when_newly_flagged():
    a = _assessment(krs=True, factors={"jamban_tidak_layak": True, "air_tidak_layak": False})
    (new,) = family_findings(a, RULES, newly_krs=True)
    assert new.kind == "krs_baru" and new.new and new.values["faktor"] == ["jamban_tidak_layak"]
    (still,) = family_findings(a, RULES, newly_krs=False)
    assert still.key == new.key and not still.new


def test_tier_drop_is_a_finding_a_rise_or_first_tier_is_not():
    drop = tier_change_finding("IMP1", "2026-11", "berkembang", "dasar", RULES)
    assert drop is not None and drop.values["dari"] == "berkembang"
    assert tier_change_finding("IMP1", "2026-11", "dasar", "mandiri", RULES) is None
    assert tier_change_finding("IMP1", "2026-11", None, "dasar", RULES) is None


def test_a_disabled_finding_never_alerts(tmp_path):
    text = (RULES_DIR / "alerts.toml").read_text()
    assert "enabled = true\nlila_below" in text
    path = tmp_path / "alerts.toml"
    path.write_text(text.replace("enabled = true\nlila_below", "enabled = false\nlila_below"))
    rules = load_alert_rules(path)
    assert rules.enabled["ibu_hamil_kek"] is False
    a = _assessment(pregnancy={"usia_kehamilan_bulan": 5, "lila_cm": 20.0, "hb": 12.0})
    assert family_findings(a, rules, newly_krs=False) == []
    assert [f.kind for f in family_findings(a, RULES, newly_krs=False)] == ["ibu_hamil_kek"]


def test_a_bad_threshold_is_refused_naming_the_key(tmp_path):
    path = tmp_path / "alerts.toml"
    path.write_text(
        (RULES_DIR / "alerts.toml").read_text().replace("hb_below = 11.0", "hb_below = 'x'")
    )
    with pytest.raises(RulesError) as exc:
        load_alert_rules(path)
    assert "findings.ibu_hamil_anemia.hb_below" in str(exc.value)
