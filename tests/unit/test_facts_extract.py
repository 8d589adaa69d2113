from __future__ import annotations

from datetime import date

import pytest

from core.domain.facts import FactsError, extract_values
from core.domain.forms.contract import load_contract

CONTRACT = load_contract()


def test_extract__reads_only_contract_fields_by_last_segment():
    raw = {
        "formhub/uuid": "x",
        "wilayah/desa": "32.77.01.1001",
        "wilayah/kecamatan": "32.77.01",
        "pertemuan/hadir_laki": "3",
        "pertemuan/topik": "KB",
        "meta/instanceID": "uuid:1",
        "_id": 4,
    }
    assert extract_values(raw, "pertemuan_imp", CONTRACT) == {
        "desa": "32.77.01.1001",
        "hadir_laki": 3,
    }


def test_extract__types_repeats_and_absent_answers():
    raw = {
        "today": "2026-11-23",
        "istri/jumlah_anak_hidup": "2",
        "kehamilan/lila_cm": "22.5",
        "anak": [
            {"anak/jk": "l", "anak/tgl_lahir_anak": "2024-01-02", "anak/tinggi_cm": "78"},
            {"anak/jk": "p", "anak/berat_kg": "7.0"},
        ],
    }
    assert extract_values(raw, "keluarga_risiko", CONTRACT) == {
        "today": date(2026, 11, 23),
        "jumlah_anak_hidup": 2,
        "lila_cm": 22.5,
        "anak": [
            {"jk": "l", "tgl_lahir_anak": date(2024, 1, 2), "tinggi_cm": 78.0},
            {"jk": "p", "berat_kg": 7.0},
        ],
    }


def test_extract__select_multiple_geopoint_and_integral_decimal_strings():
    values = extract_values(
        {"kegiatan/sasaran": "pus catin", "hasil/jumlah_rujukan": "2.0"}, "kie_konseling", CONTRACT
    )
    assert values == {"sasaran": ["pus", "catin"], "jumlah_rujukan": 2}
    geo = extract_values({"lokasi": "-6.88 107.54"}, "pertemuan_imp", CONTRACT)
    assert geo == {"lokasi": (-6.88, 107.54, 0.0, 0.0)}


@pytest.mark.parametrize(
    ("form_id", "raw", "field"),
    [
        ("pertemuan_imp", {"pertemuan/hadir_laki": "tiga"}, "hadir_laki"),
        ("pertemuan_imp", {"pertemuan/hadir_laki": "2.5"}, "hadir_laki"),
        ("pertemuan_imp", {"tgl_pertemuan": "23/11/2026"}, "tgl_pertemuan"),
        ("pertemuan_imp", {"lokasi": "-95 10 0 0"}, "lokasi"),
        ("keluarga_risiko", {"no_kk": "12345"}, "no_kk"),
        ("keluarga_risiko", {"lila_cm": "nan"}, "lila_cm"),
        ("keluarga_risiko", {"anak": [{"anak/tgl_ukur": "kemarin"}]}, "tgl_ukur"),
        ("keluarga_risiko", {"anak": "l"}, "anak"),
        ("profil_imp", {"periode": "2026-13"}, "periode"),
        ("keluarga_risiko", {"a/hamil": "ya", "b/hamil": "tidak"}, "hamil"),
        ("keluarga_risiko", {"today": "9999-12-01"}, "today"),  # a due date would overflow
        ("keluarga_risiko", {"anak": [{"anak/tgl_lahir_anak": "0202-05-01"}]}, "tgl_lahir_anak"),
    ],
)
def test_extract__unconvertible_value_raises_facts_error_naming_the_field(form_id, raw, field):
    with pytest.raises(FactsError) as info:
        extract_values(raw, form_id, CONTRACT)
    assert info.value.field == field
    assert info.value.reason


def test_contract__every_form_has_its_date_field_and_desa():
    for form_id, fc in CONTRACT.forms.items():
        assert "desa" in fc.fields, form_id
        assert fc.date_field


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        ("9" * 5000, "out of range"),
        ("1e999999999", "out of range"),
        ("12345678901", "out of range"),
        ("1e400", "out of range"),
        ("5.5", "not an integer"),
        ("Infinity", "not an integer"),
    ],
)
def test_extract__huge_or_odd_integers_are_the_senders_error_naming_the_field(answer, why):
    raw = {"pertemuan/hadir_laki": answer}
    with pytest.raises(FactsError) as err:
        extract_values(raw, "pertemuan_imp", CONTRACT)
    assert err.value.field == "hadir_laki" and why in str(err.value)
    assert len(str(err.value)) < 120  # the value is shortened, never echoed whole


@pytest.mark.parametrize("answer", ["1e999", "1" * 400, "-1e309", "2e9"])
def test_extract__decimals_that_overflow_are_refused(answer):
    with pytest.raises(FactsError) as err:
        extract_values({"anak": [{"anak/tinggi_cm": answer}]}, "keluarga_risiko", CONTRACT)
    assert err.value.field == "tinggi_cm"


def test_extract__whole_numbers_in_other_notations_still_count():
    raw = {"pertemuan/hadir_laki": "5.0", "pertemuan/hadir_perempuan": "1e1"}
    values = extract_values(raw, "pertemuan_imp", CONTRACT)
    assert values["hadir_laki"] == 5 and values["hadir_perempuan"] == 10
