"""A fuzz of `POST /webhooks/kobo`: never a 5xx, a dead letter for every refusal.

Bodies are random bytes, random JSON, and real Kobo records (read back from the sandbox) with
answers replaced by hostile values: numbers over 64 bits or 4,300 digits, Infinity, NaN, 1e999,
KK numbers of every JSON type, NUL, lone surrogates, deep nesting, missing or odd ids.
Headers too: content types, credentials (right, wrong, malformed, huge), user agents, request
ids, and a Content-Length that is right, short, long, nonsense, or absent (chunked).
A delivery without valid credentials is 401 and leaves nothing behind; one with them is stored
(202), a duplicate (200), or refused (4xx) with a dead letter; no answer quotes a KK number.

Cases per database: PANTAU_FUZZ_CASES, 300 by default (`make test`), 5,000 in
`make test-reliability` (10,000 over both databases), any number with `make test-reliability FUZZ=100000`. Derandomized: the
same cases on every run.
"""

from __future__ import annotations

import base64
import json
import os
import re
import uuid
from collections import Counter

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from core.store.models import DeadLetter, Submission
from service.app import create_app
from tests.integration.intake.conftest import submit_and_read
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


def weighted(*choices: tuple[int, st.SearchStrategy]) -> st.SearchStrategy:
    """One of the strategies, picked in proportion to its weight."""
    total = sum(weight for weight, _ in choices)

    def pick(n: int) -> st.SearchStrategy:
        for weight, strategy in choices:
            if n < weight:
                return strategy
            n -= weight
        raise AssertionError(n)

    return st.integers(0, total - 1).flatmap(pick)


# What a header may carry through the WSGI layer: Latin-1 text without control characters.
HEADER_TEXT = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF, blacklist_categories=["Cc"]),
    max_size=60,
)
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
CONTENT_TYPES = weighted(
    (6, st.sampled_from(["application/json", "application/json; charset=utf-8"])),
    (
        3,
        st.sampled_from(
            [
                "application/json; charset=utf-16",
                "application/JSON",
                "application/json;",
                "",
                "text/plain",
                "text/json",
                "application/xml",
                "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=x",
            ]
        ),
    ),
    (1, HEADER_TEXT),
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
    return weighted(
        (6, mutated_records(base)),
        (1, st.binary(max_size=200)),
        (1, st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass"))),
        (1, VALUES.map(lambda v: _splice(json.dumps(v)).encode("utf-8", "surrogatepass"))),
        (
            1,
            st.sampled_from(
                [b"[" * 5000, b'{"x": "' + b"a" * 5000 + b'"}']  # over the app's 4,096 bytes
            ),
        ),
    )


BASIC_OK = "Basic " + base64.b64encode(b"kobo:hook-pass").decode()
KOBO_AGENT = "KoboToolbox external service #hAbCdEfGh"
# (headers, whether they authenticate): what Kobo sends, and what a stranger might.
AUTH_OK = st.sampled_from(
    [
        ({"Authorization": BASIC_OK}, True),
        ({"X-Pantau-Token": "hook-token"}, True),
        ({"Authorization": BASIC_OK, "X-Pantau-Token": "hook-token"}, True),
        ({"Authorization": "Bearer hook-token", "X-Pantau-Token": "hook-token"}, True),
    ]
)
AUTH_BAD = st.one_of(
    st.sampled_from(
        [
            ({}, False),
            ({"Authorization": "Basic " + base64.b64encode(b"kobo:wrong").decode()}, False),
            ({"Authorization": "Basic " + base64.b64encode(b"kobo").decode()}, False),
            ({"Authorization": "Basic " + base64.b64encode(b"\xff\xfe:\x80").decode()}, False),
            ({"Authorization": "Basic !!!not base64!!!"}, False),
            ({"Authorization": "Basic "}, False),
            ({"Authorization": BASIC_OK.lower()}, False),
            ({"Authorization": "Bearer hook-token"}, False),
            ({"X-Pantau-Token": "hook-token "}, False),
            ({"X-Pantau-Token": ""}, False),
            ({"X-Pantau-Token": "hook-token" * 1000}, False),
        ]
    ),
    HEADER_TEXT.map(lambda t: ({"Authorization": t}, False)),
    HEADER_TEXT.map(lambda t: ({"X-Pantau-Token": t}, False)),
)
# Weighted towards deliveries that get in, so the body checks run most of the time.
AUTH = weighted((3, AUTH_OK), (1, AUTH_BAD))
USER_AGENTS = st.one_of(
    st.sampled_from(
        [KOBO_AGENT, "KoboToolbox external service - kf.example.org #hAbC", "", "x" * 10_000]
    ),
    HEADER_TEXT,
    st.just(f"agent {KK}"),
)
# Content-Length as sent: exact, shorter or longer than the body, nonsense, or absent with the
# body chunked (as gunicorn marks it). None: the test client's own.
LENGTHS = weighted(
    (4, st.none()),
    (1, st.sampled_from(["short", "long", "absent", "chunked", "-1", "abc", "0", "99999999999"])),
)
REQUEST_IDS = st.one_of(st.none(), HEADER_TEXT, st.just(KK), st.just("x" * 5000))


@st.composite
def deliveries(draw, base: dict) -> tuple[bytes, dict, dict, bool]:
    """(body, headers, WSGI environ overrides, whether the headers authenticate)."""
    body = draw(_bodies(base))
    auth, ok = draw(AUTH)
    headers = dict(auth)
    headers["Content-Type"] = draw(CONTENT_TYPES)
    agent = draw(USER_AGENTS)
    if agent:
        headers["User-Agent"] = agent
    request_id = draw(REQUEST_IDS)
    if request_id is not None:
        headers["X-Request-Id"] = request_id
    environ: dict = {}
    length = draw(LENGTHS)
    if length == "short":
        environ["CONTENT_LENGTH"] = str(max(0, len(body) - draw(st.integers(1, 50))))
    elif length == "long":
        environ["CONTENT_LENGTH"] = str(len(body) + draw(st.integers(1, 50)))
    elif length in ("absent", "chunked"):
        environ["CONTENT_LENGTH"] = None
        if length == "chunked":
            environ.update({"HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input_terminated": True})
    elif length is not None:
        environ["CONTENT_LENGTH"] = length
    return body, headers, environ, ok


def _count(factory, model) -> int:
    with factory() as s:
        return s.scalar(select(func.count()).select_from(model))


def fuzz_cases() -> int:
    """Cases per database: PANTAU_FUZZ_CASES (`make test-reliability` sets 5,000 or FUZZ)."""
    return int(os.environ.get("PANTAU_FUZZ_CASES", "300"))


@pytest.mark.fuzz
def test_webhook_fuzz__never_a_5xx_and_every_refusal_is_a_dead_letter(
    settings, kobo_sandbox, meeting_form, session_factory, backend, checked
):
    cases = fuzz_cases()
    base = submit_and_read(kobo_sandbox, meeting_form, meeting_answers())
    app = create_app(settings.model_copy(update={"webhook_max_bytes": 4096}))
    client = app.test_client()
    seen: Counter = Counter()

    @hyp_settings(
        max_examples=cases,
        deadline=None,
        derandomize=True,  # the same cases on every run: CI stays reproducible
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=deliveries(base))
    def deliver(case) -> None:
        body, headers, environ, authenticates = case
        letters = _count(session_factory, DeadLetter)
        stored = _count(session_factory, Submission)
        resp = client.post("/webhooks/kobo", data=body, headers=headers, environ_overrides=environ)
        status, answer = resp.status_code, resp.get_data(as_text=True)
        context = (status, headers, environ, body[:200], answer[:300])
        seen["cases"] += 1
        assert status < 500, context
        assert KK not in answer and KK not in str(resp.headers), context
        after = _count(session_factory, DeadLetter)
        if not authenticates:
            seen["401"] += 1
            assert status == 401 and after == letters, context  # nothing kept from a stranger
            assert _count(session_factory, Submission) == stored, context
        elif status >= 400:
            seen["4xx"] += 1
            assert after == letters + 1, context
        else:
            seen["2xx"] += 1
            assert status in (200, 202) and after == letters, context

    try:
        deliver()
    finally:
        app.extensions["pantau.engine"].dispose()
    # Every path was exercised.
    assert seen["cases"] >= cases, seen
    assert min(seen["2xx"], seen["4xx"], seen["401"]) > cases // 20, seen
    assert _count(session_factory, Submission) > 0
    checked(
        backend=backend,
        cases=seen["cases"],
        stored_or_duplicate=seen["2xx"],
        refused_with_dead_letter=seen["4xx"],
        unauthenticated_401=seen["401"],
        dead_letters=_count(session_factory, DeadLetter),
        server_errors=0,
    )
