"""What the CLI reads from an admin: --since, loopback URLs, Kobo export columns."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.domain.kobo_exports import _repeat_path
from core.domain.network import is_loopback, unreachable_webhook
from core.usecases.pull_args import BadSince, parse_since


@pytest.mark.parametrize(
    ("text", "server", "expected"),
    [
        ("1200", "kobo", 1200),
        ("2026-11-01", "kobo", datetime(2026, 11, 1, tzinfo=UTC)),
        ("2026-11-01T08:00+07:00", "central", datetime(2026, 11, 1, 1, tzinfo=UTC)),
    ],
)
def test_parse_since__a_record_id_or_a_utc_time(text, server, expected):
    assert parse_since(text, server) == expected


@pytest.mark.parametrize(
    ("text", "server"), [("garbage", "kobo"), ("2026-13-01", "kobo"), ("1200", "central")]
)
def test_parse_since__anything_else_is_bad_input(text, server):
    with pytest.raises(BadSince) as err:
        parse_since(text, server)
    assert err.value.bad_input and text in str(err.value)


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:5000", True),
        ("http://localhost:5000", True),
        ("http://[::1]:5000", True),
        ("http://0.0.0.0:5000", True),
        ("https://pantau.example.go.id", False),
        ("http://10.0.0.5:5000", False),
    ],
)
def test_is_loopback(url, loopback):
    assert is_loopback(url) is loopback


def test_unreachable_webhook__only_for_a_kobo_elsewhere():
    assert unreachable_webhook("http://127.0.0.1:5000", "https://kf.kobotoolbox.org")
    assert unreachable_webhook("http://127.0.0.1:5000", "http://127.0.0.1:8010") is None
    assert unreachable_webhook("https://pantau.example.go.id", "https://kf.kobotoolbox.org") is None


def test_repeat_path__what_the_repeat_columns_share():
    assert _repeat_path("anak", ["anak/jk", "anak/tinggi_cm", "_index"]) == "anak"
    assert _repeat_path("x", ["g/anak/jk", "g/anak/ukur/tinggi"]) == "g/anak"
    assert _repeat_path("anak", ["jk", "_index"]) == "anak"
