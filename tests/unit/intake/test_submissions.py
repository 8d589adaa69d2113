"""What a body must be before it is stored, and who it is: pure rules, no database."""

from __future__ import annotations

import pytest

from core.domain.submissions import (
    IntakeRejected,
    Refusal,
    identity,
    parse_json_body,
    parse_submission_time,
)


def test_parse_json_body__a_list_is_refused_as_malformed():
    with pytest.raises(IntakeRejected) as exc:
        parse_json_body(b"[1, 2]")
    assert exc.value.kind is Refusal.MALFORMED and "JSON list" in exc.value.reason


def test_parse_json_body__a_nul_character_is_refused_naming_the_answer():
    with pytest.raises(IntakeRejected) as exc:
        parse_json_body(b'{"g/q": "a\\u0000b"}')
    assert "'g/q'" in exc.value.reason


def test_identity__without_instance_id_is_unprocessable():
    with pytest.raises(IntakeRejected) as exc:
        identity({"_id": 3})
    assert exc.value.kind is Refusal.UNPROCESSABLE


def test_identity__root_and_record_from_kobo_fields():
    raw = {"meta/instanceID": "uuid:b", "meta/rootUuid": "uuid:a", "_id": "41"}
    assert identity(raw) == ("b", "a", None, 41)


def test_parse_submission_time__kobo_naive_utc_becomes_aware():
    moment = parse_submission_time({"_submission_time": "2026-08-21T03:05:42"})
    assert moment is not None and moment.utcoffset().total_seconds() == 0
