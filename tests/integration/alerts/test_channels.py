"""WhatsApp gateway, Telegram and signed webhook, each against a local HTTP server recording
what it receives: shape, token or signature, retries on 429/5xx, none on other 4xx."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from sqlalchemy import select, update

from core.store.models import Delivery, utcnow
from service.app import create_app
from tests.conftest import make_settings
from tests.integration.alerts.conftest import cli
from tests.integration.alerts.helpers import deliver_all, post_survey, process
from tests.support.http_recorder import start_recorder
from tests.support.submissions import DESA, family_answers, publish_in_sandbox

NO_KK = "3277010101200012"


@pytest.fixture
def recorder():
    server = start_recorder()
    yield server
    server.stop()


def _setup(settings, session_factory, kobo_sandbox, tmp_path, channel: str, address: str):
    path = tmp_path / "r.csv"
    path.write_text(
        f"name,wilayah,channel,address,language\nTPPS Melong,{DESA},{channel},{address},id\n",
        encoding="utf-8",
    )
    cli(settings, "recipients", "import", str(path))
    with session_factory() as s:
        form = publish_in_sandbox(kobo_sandbox, s, "keluarga_risiko")
        s.commit()
    app = create_app(settings)
    post_survey(app.test_client(), kobo_sandbox, form, family_answers(NO_KK))
    app.extensions["pantau.engine"].dispose()
    process(settings)


def _attempts(settings, session_factory, n: int) -> list[str]:
    outcomes = []
    for _ in range(n):
        with session_factory() as s:
            s.execute(update(Delivery).values(next_attempt_at=utcnow()))
            s.commit()
        outcomes += deliver_all(settings, session_factory)
    return outcomes


def _settings(alert_settings, tmp_path, **kw):
    return make_settings(
        tmp_path,
        database_url=alert_settings.database_url,
        kobo_url=alert_settings.kobo_url,
        kobo_token=alert_settings.kobo_token,
        public_url=alert_settings.public_url,
        alert_retry_base=0.01,
        **kw,
    )


def test_whatsapp_gateway__json_post_with_the_token_retried_on_5xx(
    alert_settings, recorder, session_factory, kobo_sandbox, tmp_path
):
    settings = _settings(
        alert_settings, tmp_path, wa_url=recorder.url + "/send", wa_token="gw-token-123"
    )
    _setup(settings, session_factory, kobo_sandbox, tmp_path, "whatsapp", "0812-3456-7890")
    recorder.statuses[:] = [503, 429]
    assert _attempts(settings, session_factory, 3) == ["retry", "retry", "sent"]
    assert len(recorder.requests) == 3
    last = recorder.requests[-1]
    assert last.path == "/send" and last.headers["authorization"] == "gw-token-123"
    body = last.json()
    assert body["target"] == "081234567890"
    assert "Kelurahan Melong" in body["message"] and NO_KK not in body["message"]


def test_telegram__send_message_to_the_chat_and_no_retry_on_400(
    alert_settings, recorder, session_factory, kobo_sandbox, tmp_path
):
    settings = _settings(
        alert_settings, tmp_path, telegram_token="123:abc", telegram_api_url=recorder.url
    )
    _setup(settings, session_factory, kobo_sandbox, tmp_path, "telegram", "-1001234567")
    recorder.statuses[:] = [400]
    assert _attempts(settings, session_factory, 2) == ["failed"]
    (request,) = recorder.requests
    assert request.path == "/bot123:abc/sendMessage"
    assert request.json()["chat_id"] == "-1001234567"
    assert "Yth. TPPS Kelurahan Melong" in request.json()["text"]
    with session_factory() as s:
        row = s.scalars(select(Delivery)).one()
        assert row.status == "failed" and "400" in row.last_error


def test_webhook__signed_body_that_the_receiver_can_verify(
    alert_settings, recorder, session_factory, kobo_sandbox, tmp_path
):
    settings = _settings(alert_settings, tmp_path, alert_webhook_secret="shared-secret")
    _setup(settings, session_factory, kobo_sandbox, tmp_path, "webhook", recorder.url + "/hook")
    recorder.statuses[:] = [500]
    assert _attempts(settings, session_factory, 2) == ["retry", "sent"]
    request = recorder.requests[-1]
    expected = hmac.new(b"shared-secret", request.body, hashlib.sha256).hexdigest()
    assert request.headers["x-pantau-signature"] == f"sha256={expected}"
    data = request.json()
    assert data["kind"] == "anak_di_bawah_minus_2sd" and data["desa"] == DESA
    assert data["link"].startswith("https://pantau.example.go.id/alerts/")
    assert NO_KK not in request.body.decode()
    # The same delivery id both times: a receiver can drop a repeat.
    assert recorder.requests[0].json()["id"] == data["id"]


def test_a_channel_without_its_settings_fails_the_delivery_saying_which(
    alert_settings, session_factory, kobo_sandbox, tmp_path
):
    _setup(alert_settings, session_factory, kobo_sandbox, tmp_path, "telegram", "-100777")
    assert _attempts(alert_settings, session_factory, 1) == ["failed"]
    with session_factory() as s:
        assert "PANTAU_TELEGRAM_TOKEN" in s.scalars(select(Delivery)).one().last_error
