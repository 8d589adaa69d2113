import io
import json
import logging

import pytest

from service.app import create_app
from service.logs import JsonFormatter
from tests.conftest import free_port, make_settings


def test_healthz__answers_while_the_process_is_up(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200
    assert resp.get_json() == {"status": "ok"}


def test_readyz__database_and_broker_ok(client):
    resp = client.get("/readyz")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is True


def test_readyz__names_the_database_when_it_is_unreachable(tmp_path):
    port = free_port()  # nothing listens there
    settings = make_settings(
        tmp_path, database_url=f"postgresql+psycopg://nobody@127.0.0.1:{port}/none"
    )
    app = create_app(settings)
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["checks"]["database"]["ok"] is False
    assert body["checks"]["broker"]["ok"] is True


def test_readyz__names_the_broker_when_it_is_unreachable(tmp_path):
    settings = make_settings(tmp_path, broker_url=f"redis://127.0.0.1:{free_port()}/0")
    resp = create_app(settings).test_client().get("/readyz")
    assert resp.status_code == 503
    checks = resp.get_json()["checks"]
    assert checks["broker"]["ok"] is False
    assert checks["database"]["ok"] is True


def test_errors__are_json_without_stack_traces(app):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    client = app.test_client()
    for path, status in [("/nope", 404), ("/boom", 500)]:
        resp = client.get(path)
        assert resp.status_code == status
        assert resp.mimetype == "application/json"
        text = resp.get_data(as_text=True)
        assert "Traceback" not in text and "secret internals" not in text
        assert json.loads(text)["error"]["code"]
    resp = client.post("/healthz")
    assert resp.status_code == 405 and resp.mimetype == "application/json"


def test_metrics__prometheus_text_counts_requests(client):
    client.get("/healthz")
    resp = client.get("/metrics")
    assert resp.status_code == 200
    assert resp.mimetype == "text/plain"
    text = resp.get_data(as_text=True)
    assert 'pantau_http_requests_total{endpoint="/healthz",method="GET",status="200"} 1.0' in text


def test_request_id__is_returned_and_honoured(client):
    resp = client.get("/healthz", headers={"X-Request-Id": "abc123"})
    assert resp.headers["X-Request-Id"] == "abc123"
    assert len(client.get("/healthz").headers["X-Request-Id"]) == 32


@pytest.mark.parametrize(
    "given", ["3277010101900011", "req 42", "x" * 101, "a\u00e9b", "id-3277010101900011-x"]
)
def test_request_id__odd_or_kk_shaped_ids_are_replaced(client, given):
    returned = client.get("/healthz", headers={"X-Request-Id": given}).headers["X-Request-Id"]
    assert returned != given and len(returned) == 32


def test_logs__one_json_object_a_line_with_request_id(client):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    access = logging.getLogger("pantau.access")
    access.addHandler(handler)
    old_level = access.level
    access.setLevel(logging.INFO)
    try:
        client.get("/healthz", headers={"X-Request-Id": "req-42"})
    finally:
        access.removeHandler(handler)
        access.setLevel(old_level)
    records = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(records) == 1
    assert records[0]["request_id"] == "req-42"
    assert records[0]["status"] == 200 and records[0]["path"] == "/healthz"
