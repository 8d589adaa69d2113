"""The demo's sample submissions score as crafted: three tiers, KRS families, one stunted child."""

from datetime import UTC, date, datetime

import pytest

from core.domain.facts import Facts, extract_values
from core.domain.scoring import assess_family, assess_imp, load_imp_rules, load_krs_rules
from core.store.facts import contract
from demo.registry import ppkbd_code, sub_ppkbd_code
from demo.samples import (
    CRAFTED_TIERS,
    FAMILY_DESA,
    family_samples,
    imp_samples,
    sample_submissions,
)


def _facts(samples, today):
    # Submitted on the day of the samples, 10:00 WIB: before the monthly report's deadline.
    sent = datetime(today.year, today.month, today.day, 3, tzinfo=UTC)
    return [
        Facts(s.form_id, i, sent, extract_values(s.answers, s.form_id, contract()))
        for i, s in enumerate(samples, start=1)
    ]


@pytest.mark.parametrize("today", [date(2026, 11, 23), date(2026, 12, 1), date(2027, 2, 28)])
def test_imp_samples__reach_the_crafted_tier_of_each_ppkbd(today):
    facts = _facts(imp_samples(today), today)
    period = today.strftime("%Y-%m")
    rules = load_imp_rules()
    for desa, tier in CRAFTED_TIERS.items():
        imp = ppkbd_code(desa)
        children = [f for f in facts if str(f.get("imp")).startswith(f"SUBPPKBD-{desa}-")]
        result = assess_imp(imp, period, facts, rules, child_facts=children)
        assert result.tier == tier, (imp, {r: s.level for r, s in result.roles.items()})


def test_imp_samples__sub_ppkbd_activity_rolls_up_to_its_parent():
    samples = imp_samples(date(2026, 11, 23))
    assert any(
        s.answers.get("wilayah/imp") == sub_ppkbd_code(FAMILY_DESA[0], "004") for s in samples
    )


def test_family_samples__some_at_risk_in_two_kelurahan_and_one_stunted_boy():
    today = date(2026, 11, 23)
    rules = load_krs_rules()
    results = [assess_family(f, rules) for f in _facts(family_samples(today), today)]
    assert 18 <= len(results) <= 22
    assert {r.desa for r in results} == set(FAMILY_DESA)
    assert all(r.target for r in results)
    krs = [r for r in results if r.krs]
    assert 0 < len(krs) < len(results)
    stunted = [c for r in results for c in r.children if c.category in ("pendek", "sangat_pendek")]
    assert len(stunted) == 1
    boy = stunted[0]
    assert (boy.sex, boy.age_days, boy.measure) == ("l", 682, "L")
    assert boy.haz == pytest.approx(-2.84, abs=0.01)


def test_family_samples__births_too_close_by_two_births_or_a_pregnancy_never_a_first_baby():
    today = date(2026, 11, 23)
    rules = load_krs_rules()
    results = [assess_family(f, rules) for f in _facts(family_samples(today), today)]
    close = [
        r.factor_details["jarak_terlalu_dekat"]
        for r in results
        if r.factors.get("jarak_terlalu_dekat")
    ]
    assert sorted(d["dasar"] for d in close) == ["kehamilan", "kelahiran", "kelahiran"]
    # Families whose only child is a baby are surveyed too, and none of them is "too close".
    first_babies = [
        r
        for r in results
        if r.factor_details["jarak_terlalu_dekat"]["keterangan_id"].startswith("Anak pertama")
        and any(c.age_days is not None and c.age_days < 731 for c in r.children)
    ]
    assert first_babies and not any(r.factors["jarak_terlalu_dekat"] for r in first_babies)


def test_samples__dates_never_after_today_and_instance_ids_stable_per_month():
    today = date(2026, 11, 3)
    samples = sample_submissions(today)
    for s in samples:
        for key, value in s.answers.items():
            if key.startswith(("today", "pertemuan/tgl", "kegiatan/tgl", "bulan")):
                assert date.fromisoformat(value) <= today, (s.key, key)
    ids = [s.instance_id("2026-11") for s in samples]
    assert len(set(ids)) == len(ids)
    assert ids == [s.instance_id("2026-11") for s in sample_submissions(today)]
    assert ids[0] != samples[0].instance_id("2026-12")
    assert len({s.key for s in samples}) == len(samples)
