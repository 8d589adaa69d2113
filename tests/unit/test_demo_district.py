"""The full-size demo's generator: Kota Cimahi's counts, and the same numbers for the same seed.

`pantau demo` (full size) sends what this generator makes; the delivery itself is tested at a
reduced scale in tests/e2e/test_demo.py. These checks are fast: no database, no delivery.
"""

from collections import Counter

import pytest

from demo.district import DISTRICT_IMPS, SEED
from demo.district.__main__ import main as district_main
from demo.district.records import digest
from demo.district.registry import district_imps, imps_csv
from demo.district.year import district_year, thinned

END = "2026-11"


@pytest.fixture(scope="module")
def year():
    return district_year(END, SEED)


def test_district__registry_has_the_reported_scale_of_kota_cimahi():
    imps = district_imps(SEED)
    assert Counter(i.kind for i in imps) == {"ppkbd": 71, "sub_ppkbd": 320, "kelompok_kb": 1_728}
    assert len({i.desa for i in imps}) == 15
    assert {i.desa.rsplit(".", 1)[0] for i in imps} == {"32.77.01", "32.77.02", "32.77.03"}
    by_code = {i.code: i for i in imps}
    assert len(by_code) == len(imps)  # codes are unique
    for imp in imps:
        # every sub pos KB under a pos KB, every kelompok KB under a sub pos KB, same kelurahan
        parent = by_code.get(imp.parent)
        want = {"ppkbd": None, "sub_ppkbd": "ppkbd", "kelompok_kb": "sub_ppkbd"}[imp.kind]
        assert (parent.kind if parent else None) == want, imp
        assert parent is None or parent.desa == imp.desa


def test_district__shipped_imps_csv_is_what_the_seed_makes():
    # `pantau demo` imports demo/district/imps.csv: it must be the generator's output for SEED.
    assert DISTRICT_IMPS.read_text(encoding="utf-8") == imps_csv(district_imps(SEED))
    assert imps_csv(district_imps(SEED + 1)) != imps_csv(district_imps(SEED))


def test_district__a_year_has_every_form_and_five_thousand_family_surveys(year):
    assert year.months == ["2025-12"] + [f"2026-{m:02d}" for m in range(1, 12)]
    forms = year.by_form()
    assert set(forms) == {
        "profil_imp",
        "pertemuan_imp",
        "kie_konseling",
        "laporan_bulanan_imp",
        "keluarga_risiko",
    }
    assert forms["keluarga_risiko"] == 5_000
    assert sum(forms.values()) > 10_000
    surveys = [r for r in year.records if r.form_id == "keluarga_risiko"]
    children = [c for r in surveys for c in r.answers.get("anak", [])]
    assert len(children) > 1_000
    assert all(c["anak/tinggi_cm"] and c["anak/tgl_ukur"] for c in children)
    # every month has submissions, sent in time order, each with its own instance id
    assert {r.submitted.strftime("%Y-%m") for r in year.records} == set(year.months)
    assert [r.submitted for r in year.records] == sorted(r.submitted for r in year.records)
    ids = {r.instance_id(SEED) for r in year.records}
    assert len(ids) == len(year.records)
    # IMP reports name an IMP of the registry
    codes = {i.code for i in year.imps}
    reports = [r for r in year.records if r.form_id != "keluarga_risiko"]
    assert all(r.answers["wilayah/imp"] in codes for r in reports)


def test_district__same_seed_same_submissions_other_seed_other_ones(year):
    again = district_year(END, SEED)
    assert digest(again.records, SEED) == digest(year.records, SEED)
    other = district_year(END, SEED + 1)
    assert digest(other.records, SEED + 1) != digest(year.records, SEED)


def test_district__counts_do_not_depend_on_the_calendar(year):
    # Another last month (a run a few months later) shifts the dates, not the numbers.
    later = district_year("2027-04", SEED)
    assert later.by_form() == year.by_form()
    assert later.classes == year.classes


def test_district__thinned_keeps_n_records_spread_over_the_year(year):
    small = thinned(year, 120)
    assert len(small.records) == 120 and small.imps == year.imps
    assert {r.submitted.strftime("%Y-%m") for r in small.records} == set(year.months)
    keys = [r.key for r in year.records]
    positions = [keys.index(r.key) for r in small.records]
    assert positions == sorted(set(positions))  # distinct records of the year, in its order
    assert thinned(year, 10**6) is year


def test_district__python_m_demo_district_prints_counts_and_digests(year, capsys):
    district_main(["--end", END])
    out = capsys.readouterr().out
    assert "IMP: ppkbd 71, sub_ppkbd 320, kelompok_kb 1,728" in out
    assert f"{len(year.records):,} submissions" in out
    assert f"submissions sha256 {digest(year.records, SEED)}" in out
