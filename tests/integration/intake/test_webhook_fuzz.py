"""A bounded fuzz of `POST /webhooks/kobo`: never a 5xx, and a dead letter for every refusal.

Bodies are random bytes, random JSON, and real Kobo records (read back from the sandbox) with
answers replaced by hostile values: numbers over 64 bits or 4,300 digits, Infinity, NaN, 1e999,
KK numbers of every JSON type, NUL, lone surrogates, deep nesting, missing or odd ids.
"""

from __future__ import annotations

import json
import re
import uuid

from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.store.models import DeadLetter, Submission
from service.app import create_app
from tests.integration.intake.conftest import AUTH, submit_and_read
from tests.support.submissions import meeting_answers

KK = "3277010101900011"
# Raw JSON literals json.dumps cannot write: spliced into the text in place of a marker.
LITERALS = [
    "Infinity",
    "-Infinity",
    "NaN",
    "1e999",
    "-1e999",
    "9" * 4301,
    "99999999999999999999",
    "9223372036854775808",
    KK,
    "1.5e308",
    "0",
    "-0.0",
]
STRINGS = st.one_of(
    st.text(max_size=30),
    st.sampled_from(
        [KK, f"KK {KK}", "a\x00b", "\ud800", "", "uuid:", " ", "３２７７０１０１０１９０００１１"]
    ),
)
LEAVES = st.one_of(
    STRINGS,
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.sampled_from([f"@@LIT{i}@@" for i in range(len(LITERALS))]),
)
VALUES = st.recursive(
    LEAVES,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(STRINGS, inner, max_size=4)
    ),
    max_leaves=12,
)
KEYS = st.sampled_from(
    [
        "_id",
        "_uuid",
        "meta/instanceID",
        "meta/rootUuid",
        "meta/deprecatedID",
        "_xform_id_string",
        "__version__",
        "_submission_time",
        "pertemuan/hadir_perempuan",
        "wilayah/desa",
        "keluarga/no_kk",
        "catatan",
        "_attachments",
    ]
)
CONTENT_TYPES = st.sampled_from(
    ["application/json", "application/json; charset=utf-8", "", "text/plain", "application/xml"]
)


def _splice(text: str) -> str:
    return re.sub(r'"@@LIT(\d+)@@"', lambda m: LITERALS[int(m.group(1))], text)


@st.composite
def mutated_records(draw, base: dict) -> bytes:
    record = dict(base)
    if draw(st.booleans()):  # a fresh delivery, or a duplicate of the one before
        fresh = str(uuid.uuid4())
        record.update({"_uuid": fresh, "meta/instanceID": f"uuid:{fresh}"})
        record.pop("meta/rootUuid", None)
    for key in draw(st.lists(KEYS, max_size=4)):
        if draw(st.booleans()):
            record.pop(key, None)
        else:
            record[key] = draw(VALUES)
    text = json.dumps(record, ensure_ascii=draw(st.booleans()))
    return _splice(text).encode("utf-8", "surrogatepass")


def _bodies(base: dict):
    return st.one_of(
        st.binary(max_size=200),
        st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
        VALUES.map(lambda v: _splice(json.dumps(v)).encode("utf-8", "surrogatepass")),
        mutated_records(base),
        st.just(b"[" * 5000),
        st.just(b'{"x": "' + b"a" * 5000 + b'"}'),  # over the fuzz app's 4,096-byte limit
    )


def _count(factory, model) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_webhook_fuzz__never_a_5xx_and_every_refusal_is_a_dead_letter(
    settings, kobo_sandbox, meeting_form, session_factory
):
    base = submit_and_read(kobo_sandbox, meeting_form, meeting_answers())
    app = create_app(settings.model_copy(update={"webhook_max_bytes": 4096}))
    client = app.test_client()
    seen = {"2xx": 0, "4xx": 0}

    @hyp_settings(
        max_examples=1200,
        deadline=None,
        derandomize=True,  # the same cases on every run: CI stays reproducible
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(body=_bodies(base), content_type=CONTENT_TYPES)
    def deliver(body: bytes, content_type: str) -> None:
        letters = _count(session_factory, DeadLetter)
        resp = client.post("/webhooks/kobo", data=body, content_type=content_type, headers=AUTH)
        assert resp.status_code < 500, (resp.status_code, body[:200], resp.get_data()[:300])
        after = _count(session_factory, DeadLetter)
        if resp.status_code >= 400:
            seen["4xx"] += 1
            assert after == letters + 1, (resp.status_code, body[:200])
            assert KK not in resp.get_data(as_text=True)
        else:
            seen["2xx"] += 1
            assert resp.status_code in (200, 202) and after == letters

    try:
        deliver()
    finally:
        app.extensions["pantau.engine"].dispose()
    assert seen["2xx"] > 50 and seen["4xx"] > 500, seen  # both paths were exercised
    assert _count(session_factory, Submission) > 0
