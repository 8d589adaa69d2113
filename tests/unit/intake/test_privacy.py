"""Pseudonymisation and redaction: pure rules, no database."""

from __future__ import annotations

import json
import re

import pytest

from core.domain.facts import FactsError, convert_value
from core.domain.forms.contract import ContractField, load_contract
from core.domain.privacy import (
    Keyring,
    blank_numbers,
    is_pseudonym,
    pseudonymise,
    redact_bytes,
    rekey_all,
)
from core.domain.scoring import family_key

KK = "3277010101900011"
KEY = Keyring((b"unit-test-key",))
KK_SHAPED = re.compile(r"(?<!\d)\d{16}(?!\d)")
IDENTIFYING = load_contract().identifying


def _clear(value) -> bool:
    """Whether a KK-shaped number survives in value (pseudonyms' hex is not a number)."""
    text = json.dumps(value, ensure_ascii=False)
    text = re.sub(r"(kel|invalid)_[0-9a-f]{20}", "", text)
    return bool(KK_SHAPED.search(text) or re.search(r"\d{16}", text))


@pytest.mark.parametrize(
    "answer",
    [KK, int(KK), [KK], {"x": KK}, [[{"y": int(KK)}]], float(KK), " " + KK + " "],
    ids=["string", "number", "list", "object", "nested", "float", "padded"],
)
def test_pseudonymise__identifying_answer_of_any_json_type_is_replaced(answer):
    raw = {"keluarga/no_kk": answer, "anak": [{"anak/nik": answer}]}
    out = pseudonymise(raw, KEY, IDENTIFYING)
    assert not _clear(out)
    assert pseudonymise(out, KEY, IDENTIFYING) == out  # re-pseudonymising is a no-op


def test_pseudonymise__a_number_answer_meets_the_same_family_as_the_string():
    by_string = pseudonymise({"no_kk": KK}, KEY, IDENTIFYING)["no_kk"]
    by_number = pseudonymise({"no_kk": int(KK)}, KEY, IDENTIFYING)["no_kk"]
    assert by_string == by_number == family_key(KK, b"unit-test-key")


@pytest.mark.parametrize(
    "text",
    [
        f"KK {KK} pindah",
        f"kk{KK}",
        f"dua KK: {KK}3277010101900022",
        "３２７７０１０１０１９０００１１",  # fullwidth digits
        f"NIK={KK}.",
    ],
)
def test_pseudonymise__kk_shaped_numbers_in_free_text_and_other_keys_are_replaced(text):
    raw = {"catatan": text, "lainnya": int(KK), "g/list": [text], "_notes": [text]}
    out = pseudonymise(raw, KEY, IDENTIFYING)
    assert not _clear(out)
    assert "kel_" in out["catatan"] or "invalid_" in out["catatan"]
    assert pseudonymise(out, KEY, IDENTIFYING) == out


def test_pseudonymise__short_numbers_and_ids_are_left_alone():
    raw = {"rt": "002", "_id": 412, "meta/instanceID": "uuid:5b7f5e0e", "tinggi": "78.0"}
    assert pseudonymise(raw, KEY, IDENTIFYING) == raw


def test_pseudonymise__a_sender_cannot_pass_a_made_up_pseudonym_prefix():
    out = pseudonymise({"no_kk": "kel_not-a-real-digest"}, KEY, IDENTIFYING)
    assert out["no_kk"] != "kel_not-a-real-digest" and is_pseudonym(out["no_kk"])


def test_keyring__a_rotated_pseudonym_equals_one_made_with_the_new_chain():
    old, new = b"old-key", b"new-key"
    stored = pseudonymise({"no_kk": KK, "catatan": f"KK {KK}"}, Keyring((old,)), IDENTIFYING)
    fresh = pseudonymise({"no_kk": KK, "catatan": f"KK {KK}"}, Keyring((old, new)), IDENTIFYING)
    assert rekey_all(stored, new) == fresh
    assert Keyring((old,)).fingerprint != Keyring((old, new)).fingerprint


@pytest.mark.parametrize(
    "body",
    [
        f'{{"no_kk": "{KK}", '.encode(),
        b'{"no_kk": "\\u0033\\u0032\\u0037\\u0037010101900011", ',
        '{"no_kk": "３２７７０１０１０１９０００１１"'.encode(),
        f'{{"no_kk": "{KK}"'.encode("utf-16-le"),
        f'{{"no_kk": "{KK}"'.encode("utf-16-be"),
        f'{{"no_kk": "{KK}"'.encode("utf-32"),
    ],
    ids=["ascii", "json-escaped", "fullwidth", "utf-16-le", "utf-16-be", "utf-32"],
)
def test_redact_bytes__blanks_kk_numbers_however_encoded(body):
    out = redact_bytes(body)
    for encoding in ("utf-8", "utf-16-le", "utf-16-be", "utf-32"):
        text = out.decode(encoding, "ignore").replace("\x00", "")
        assert not re.search(r"\d{16}", text)
    assert b"no_kk" in out or "no_kk".encode("utf-16-le") in out or len(out) == len(body)


def test_blank_numbers__errors_and_log_lines_never_hold_a_kk():
    assert blank_numbers(f"no_kk={KK}: bad") == "no_kk=################: bad"
    token = "kel_12345678901234567890"
    assert blank_numbers(token) == token


@pytest.mark.parametrize("value", [int(KK), [KK], {"a": KK}, KK + "x"])
def test_facts_error__never_quotes_a_kk_number(value):
    field = ContractField(name="catatan", type="text", pattern="^[a-z]+$")
    with pytest.raises(FactsError) as err:
        convert_value(field, value)
    assert KK not in str(err.value) and "catatan" in str(err.value)
