"""screen(): the pull's one-pass fast path must agree with check_storable + pseudonymise.

Whatever screen() accepts it must return exactly as pseudonymise() would, and check_storable()
must accept it; whatever it is unsure of it must leave to them (None). Hypothesis draws
records with the hard cases in them (NIK-shaped numbers in text and numbers, fullwidth
digits, pseudonyms, NUL, lone surrogates, huge or non-finite numbers, deep nesting).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.domain.forms.contract import load_contract
from core.domain.privacy import Keyring, pseudonym, pseudonymise
from core.domain.screening import screen
from core.domain.submissions import MAX_DEPTH, IntakeRejected, check_storable

KEY = Keyring((b"unit-test-key",))
IDENTIFYING = load_contract().identifying
KK = "3277010101900011"

KOBO_RECORD = {
    "_id": 7,
    "formhub/uuid": "44ce3e0d57528165b85b32bcc40161ce",
    "wilayah/desa": "32.77.01.1001",
    "pertemuan/hadir_perempuan": "12",
    "pertemuan/topik": "Persiapan pelayanan KB\nbulan depan, 3 orang",
    "meta/instanceID": "uuid:02fa9506-b10e-4672-8dd1-bbe9ca8df7f1",
    "_attachments": [],
    "_geolocation": [None, None],
    "_validation_status": {},
    "_submitted_by": None,
    "berat": 3.25,
}


def _careful(rec):
    """What intake stores without the fast path, or None where it refuses the record."""
    try:
        check_storable(rec)
    except IntakeRejected:
        return None
    return pseudonymise(rec, KEY, IDENTIFYING)


def test_screen__a_plain_kobo_record_passes_unchanged_with_its_json_text():
    screened = screen(KOBO_RECORD, KEY, IDENTIFYING)
    assert screened is not None
    assert screened.record == KOBO_RECORD
    assert json.loads(screened.text) == KOBO_RECORD


def test_screen__identifying_answers_are_pseudonymised_in_the_record_and_its_text():
    rec = {**KOBO_RECORD, "keluarga/nik": KK, "anggota": [{"anggota/nik_istri": int(KK)}]}
    screened = screen(rec, KEY, IDENTIFYING)
    assert screened is not None
    assert screened.record == _careful(rec)
    assert screened.record["keluarga/nik"] == pseudonym(KK, KEY)
    assert KK not in screened.text


@pytest.mark.parametrize(
    "value",
    [
        f"NIK ibu {KK}",  # a KK/NIK-shaped number in free text
        "３２７７０１０１０１９０００１１",  # the same in fullwidth digits
        int(KK),  # a number of 16 digits
        1e16,  # a float that may print as one
        float("nan"),
        "a\x00b",  # a NUL no column holds
        "\ud800",  # a lone surrogate
        "tab\x01",  # a control character
        2**70,  # over 64 bits
    ],
    ids=["text", "fullwidth", "int", "float", "nan", "nul", "surrogate", "control", "huge"],
)
def test_screen__leaves_every_hard_case_to_the_careful_path(value):
    assert screen({**KOBO_RECORD, "catatan": value}, KEY, IDENTIFYING) is None


@pytest.mark.parametrize("value", ["a\x00b", "\ud800", 2**70, 1.5, [KK]])
def test_screen__an_identifying_answer_the_careful_path_would_judge_goes_there(value):
    assert screen({**KOBO_RECORD, "nik": value}, KEY, IDENTIFYING) is None


@pytest.mark.parametrize("value", [2**70, float("inf"), [2**70]])
def test_screen__an_id_answer_is_kept_but_still_judged(value):
    assert screen({**KOBO_RECORD, "_uuid": value}, KEY, IDENTIFYING) is None


def test_screen__nesting_at_the_limit_goes_the_careful_path():
    deep: object = "x"
    for _ in range(MAX_DEPTH + 1):
        deep = [deep]
    assert screen({"g": deep}, KEY, IDENTIFYING) is None
    assert _careful({"g": deep}) is None


_DIGITS = st.text(alphabet="0123456789３", min_size=14, max_size=18)
_TEXT = st.one_of(
    st.text(max_size=12),
    _DIGITS,
    st.builds(lambda a, n: f"{a} {n}", st.text(max_size=5), _DIGITS),
    st.just(pseudonym(KK, KEY)),
    st.sampled_from(["a\x00", "\ud83d", "ok", ""]),
)
_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    _TEXT,
    st.integers(min_value=-(2**66), max_value=2**66),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e6, max_value=1e6),
)
_KEYS = st.one_of(
    st.sampled_from(["nik", "grp/no_kk", "kki", "meta/instanceID", "_uuid", "grp/catatan", "a"]),
    st.text(max_size=6),
)
_VALUE = st.recursive(
    _SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(_KEYS, inner, max_size=3)),
    max_leaves=12,
)


@settings(max_examples=800, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(_KEYS, _VALUE, max_size=6))
def test_screen__whatever_it_accepts_is_what_the_careful_path_stores(rec):
    screened = screen(rec, KEY, IDENTIFYING)
    if screened is not None:
        assert screened.record == _careful(rec)
        assert json.loads(screened.text) == screened.record
