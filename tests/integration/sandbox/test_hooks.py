from __future__ import annotations

import base64
import json

import pytest

from tests.support.kobo_sandbox import HookReceiver, start_kobo_sandbox


def _hook(s, uid, endpoint, **extra):
    body = {
        "name": "pantau",
        "endpoint": endpoint,
        "active": True,
        "export_type": "json",
        "auth_level": "no_auth",
        **extra,
    }
    resp = s.api("POST", f"/api/v2/assets/{uid}/hooks/", json=body)
    assert resp.status_code == 201, resp.text
    return resp.json()["uid"]


def _attempts(s, hook_uid):
    return (
        s.wait_hooks_idle()["attempts"]
        if hook_uid is None
        else [a for a in s.wait_hooks_idle()["attempts"] if a["hook_uid"] == hook_uid]
    )


def test_hook__posts_json_with_basic_auth_custom_header_and_kobo_user_agent(
    kobo_sandbox, asset_uid, receiver
):
    hook = _hook(
        kobo_sandbox,
        asset_uid,
        receiver.url,
        auth_level="basic_auth",
        settings={
            "username": "kobo",
            "password": "s3cret",
            "custom_headers": {"X-Pantau-Secret": "tok"},
        },
    )
    sub_id, _ = kobo_sandbox.submit_answers(asset_uid, {"ibu/nama": "Ñoño"})
    _attempts(kobo_sandbox, hook)
    assert len(receiver.requests) == 1
    req = receiver.requests[0]
    headers = req["headers"]
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == f"KoboToolbox external service #{hook}"
    assert headers["X-Pantau-Secret"] == "tok"
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"kobo:s3cret").decode()
    assert b"\\u00d1o\\u00f1o" in req["body"] and req["body"].isascii()
    record = kobo_sandbox.api("GET", f"/api/v2/assets/{asset_uid}/data/{sub_id}/").json()
    assert json.loads(req["body"]) == record


def test_hook__fires_once_on_creation_never_on_edit_or_duplicate(kobo_sandbox, asset_uid, receiver):
    hook = _hook(kobo_sandbox, asset_uid, receiver.url)
    xml, iid = kobo_sandbox.instance(asset_uid, {"ibu/nama": "A"})
    assert kobo_sandbox.submit(xml).status_code == 201
    assert kobo_sandbox.submit(xml).status_code == 202
    edit, _ = kobo_sandbox.instance(asset_uid, {"ibu/nama": "B"}, deprecated_id=iid)
    assert kobo_sandbox.submit(edit).status_code == 201
    attempts = _attempts(kobo_sandbox, hook)
    assert len(attempts) == 1 and len(receiver.requests) == 1
    assert json.loads(receiver.requests[0]["body"])["ibu/nama"] == "A"


def test_hook__added_later_does_not_backfill_and_inactive_does_not_fire(
    kobo_sandbox, asset_uid, receiver
):
    kobo_sandbox.submit_answers(asset_uid, {"ibu/nama": "old"})
    _hook(kobo_sandbox, asset_uid, receiver.url, active=False)
    kobo_sandbox.submit_answers(asset_uid, {"ibu/nama": "new"})
    kobo_sandbox.wait_hooks_idle()
    assert receiver.requests == []


def test_hook__503_gets_five_posts_in_all_then_fails(kobo_sandbox, asset_uid):
    rec = HookReceiver(default=503)
    try:
        hook = _hook(kobo_sandbox, asset_uid, rec.url)
        kobo_sandbox.submit_answers(asset_uid, {"ibu/nama": "A"})
        attempts = _attempts(kobo_sandbox, hook)
        assert [a["status_code"] for a in attempts] == [503] * 5
        assert [a["outcome"] for a in attempts] == ["retry"] * 4 + ["failed"]
        # Backoff is drawn from 0-60, 0-120, 0-240, 0-480 s (before the time scale).
        for a, ceiling in zip(attempts, (60, 120, 240, 480), strict=False):
            assert 0 <= a["next_delay"] <= ceiling
        assert len(rec.requests) == 5
        logs = kobo_sandbox.api(
            "GET", f"/api/v2/assets/{asset_uid}/hooks/{hook}/logs/", params={"status": 0}
        ).json()
        assert logs["count"] == 1 and logs["results"][0]["tries"] == 5
    finally:
        rec.close()


def test_hook__503_then_success_is_delivered(kobo_sandbox, asset_uid):
    rec = HookReceiver(statuses=[503, 502], default=200)
    try:
        hook = _hook(kobo_sandbox, asset_uid, rec.url)
        kobo_sandbox.submit_answers(asset_uid, {"ibu/nama": "A"})
        attempts = _attempts(kobo_sandbox, hook)
        assert [a["status_code"] for a in attempts] == [503, 502, 200]
        detail = kobo_sandbox.api("GET", f"/api/v2/assets/{asset_uid}/hooks/{hook}/").json()
        assert detail["success_count"] == 1 and detail["failed_count"] == 0
    finally:
        rec.close()


@pytest.mark.parametrize("status", [500, 429, 404])
def test_hook__non_retryable_status_gets_one_post(kobo_sandbox, asset_uid, status):
    rec = HookReceiver(default=status)
    try:
        hook = _hook(kobo_sandbox, asset_uid, rec.url)
        kobo_sandbox.submit_answers(asset_uid, {"ibu/nama": "A"})
        attempts = _attempts(kobo_sandbox, hook)
        assert [(a["status_code"], a["outcome"]) for a in attempts] == [(status, "failed")]
        assert len(rec.requests) == 1
    finally:
        rec.close()


def test_hook__connection_refused_gets_one_attempt(kobo_sandbox, asset_uid):
    rec = HookReceiver()
    url = rec.url
    rec.close()  # nothing listens there now
    hook = _hook(kobo_sandbox, asset_uid, url)
    kobo_sandbox.submit_answers(asset_uid, {"ibu/nama": "A"})
    attempts = _attempts(kobo_sandbox, hook)
    assert len(attempts) == 1 and attempts[0]["outcome"] == "failed"
    assert attempts[0]["status_code"] is None


def test_hook__read_timeout_counts_as_504_and_is_retried(tmp_path):
    rec = HookReceiver(delay=1.0)
    try:
        with start_kobo_sandbox(tmp_path / "k.db", retry_scale=0.0001, hook_timeout=0.1) as s:
            from tests.support.kobo_sandbox import sample_xlsform

            uid = s.import_form(sample_xlsform())
            s.deploy(uid)
            hook = _hook(s, uid, rec.url)
            s.submit_answers(uid, {"ibu/nama": "A"})
            attempts = _attempts(s, hook)
            assert [a["status_code"] for a in attempts] == [504] * 5
    finally:
        rec.close()


def test_hook__subset_fields_drop_system_fields_unless_listed(kobo_sandbox, asset_uid, receiver):
    _hook(kobo_sandbox, asset_uid, receiver.url, subset_fields=["nama", "jk", "_id"])
    kobo_sandbox.submit_answers(
        asset_uid,
        {
            "ibu/nama": "A",
            "ibu/tgl_lahir": "1990-01-01",
            "anak": [{"anak/jk": "l", "anak/tinggi_cm": "70"}],
        },
    )
    kobo_sandbox.wait_hooks_idle()
    body = json.loads(receiver.requests[0]["body"])
    assert set(body) == {"ibu/nama", "anak", "_id"}
    assert body["anak"] == [{"anak/jk": "l"}]


def test_hook__payload_template_wraps_submission(kobo_sandbox, asset_uid, receiver):
    _hook(kobo_sandbox, asset_uid, receiver.url, payload_template='{"fields": %SUBMISSION%}')
    sub_id, _ = kobo_sandbox.submit_answers(asset_uid, {"ibu/nama": "A"})
    kobo_sandbox.wait_hooks_idle()
    assert json.loads(receiver.requests[0]["body"])["fields"]["_id"] == sub_id


def _one_failed_delivery(kobo_sandbox, asset_uid, rec) -> tuple[str, str]:
    """A hook to rec (which answers 500 first) and one submission: the hook and its API path."""
    hook = _hook(kobo_sandbox, asset_uid, rec.url)
    kobo_sandbox.submit_answers(asset_uid, {"ibu/nama": "A"})
    kobo_sandbox.wait_hooks_idle()
    return hook, f"/api/v2/assets/{asset_uid}/hooks/{hook}"


def test_hook__manual_retry_resends_failed_deliveries(kobo_sandbox, asset_uid):
    rec = HookReceiver(statuses=[500], default=200)
    try:
        _, base = _one_failed_delivery(kobo_sandbox, asset_uid, rec)
        assert kobo_sandbox.api("GET", f"{base}/logs/", params={"status": 0}).json()["count"] == 1
        resp = kobo_sandbox.api("PATCH", f"{base}/retry/")
        assert resp.status_code == 200 and len(resp.json()["pending_uids"]) == 1
        kobo_sandbox.wait_hooks_idle()
        assert kobo_sandbox.api("GET", f"{base}/logs/", params={"status": 2}).json()["count"] == 1
        assert len(rec.requests) == 2
    finally:
        rec.close()


def test_hook_log_retry__only_120_s_after_the_last_try_then_sent_at_once(kobo_sandbox, asset_uid):
    # As a real kpi (2e5efb0172): a log is retried only once it has rested 120 s
    # (HOOK_STALLED_PENDING_TIMEOUT); the retry is sent in the request and answered with the
    # receiver's status; `tries` counts on.
    rec = HookReceiver(statuses=[500], default=202)
    try:
        hook, path = _one_failed_delivery(kobo_sandbox, asset_uid, rec)
        base = f"{path}/logs/"
        [log] = kobo_sandbox.api("GET", base).json()["results"]
        early = kobo_sandbox.api("PATCH", f"{base}{log['uid']}/retry/")
        assert (early.status_code, early.json()) == (
            400,
            {"detail": "Data is being or has already been processed", "status_code": None},
        )
        store = kobo_sandbox.app.extensions["kobo_sandbox"].store
        rested = {**store.get("hook_log", log["uid"]), "date_modified": "2020-01-01T00:00:00.0Z"}
        store.put("hook_log", log["uid"], rested, parent=hook)
        later = kobo_sandbox.api("PATCH", f"{base}{log['uid']}/retry/")
        assert (later.status_code, later.json()["status_code"]) == (200, 202)
        after = kobo_sandbox.api("GET", f"{base}{log['uid']}/").json()
        assert (after["status"], after["tries"]) == (2, 2)
        assert len(rec.requests) == 2
    finally:
        rec.close()


def test_hook__crud(kobo_sandbox, asset_uid, receiver):
    hook = _hook(kobo_sandbox, asset_uid, receiver.url)
    base = f"/api/v2/assets/{asset_uid}/hooks/"
    assert kobo_sandbox.api("GET", base).json()["count"] == 1
    patched = kobo_sandbox.api("PATCH", f"{base}{hook}/", json={"active": False})
    assert patched.status_code == 200 and patched.json()["active"] is False
    bad = kobo_sandbox.api("POST", base, json={"name": "x"})
    assert bad.status_code == 400 and "endpoint" in bad.json()
    assert kobo_sandbox.api("DELETE", f"{base}{hook}/").status_code == 204
    assert kobo_sandbox.api("GET", f"{base}{hook}/").status_code == 404


def test_fault__dropped_delivery_never_reaches_the_receiver(kobo_sandbox, asset_uid, receiver):
    hook = _hook(kobo_sandbox, asset_uid, receiver.url)
    kobo_sandbox.faults("hooks:drop:count=1")
    kobo_sandbox.submit_answers(asset_uid, {"ibu/nama": "lost"})
    kobo_sandbox.submit_answers(asset_uid, {"ibu/nama": "kept"})
    attempts = _attempts(kobo_sandbox, hook)
    assert sorted(a["outcome"] for a in attempts) == ["dropped", "success"]
    assert [json.loads(r["body"])["ibu/nama"] for r in receiver.requests] == ["kept"]


def _bulk(s, uid, records, hooks=True):
    resp = s.api(
        "POST", f"/__sandbox__/assets/{uid}/submissions", json={"hooks": hooks, "records": records}
    )
    assert resp.status_code == 201, resp.text
    return resp.json()


def test_hook__bulk_seed_with_hooks_delivers_each_new_record_once_and_skips_known_ids(
    kobo_sandbox, asset_uid, receiver
):
    # The full-size demo seeds thousands of records this way: each must reach the hook as a new
    # submission would, and a re-run with the same instance ids must add and deliver nothing.
    hook = _hook(kobo_sandbox, asset_uid, receiver.url)
    records = [
        {"ibu/nama": f"Ibu {i}", "meta/instanceID": f"uuid:00000000-0000-4000-8000-00000000000{i}"}
        for i in range(5)
    ]
    first = _bulk(kobo_sandbox, asset_uid, records)
    assert len(first["ids"]) == 5 and first["duplicates"] == 0
    assert len(_attempts(kobo_sandbox, hook)) == 5
    delivered = {json.loads(r["body"])["meta/instanceID"] for r in receiver.requests}
    assert delivered == {r["meta/instanceID"] for r in records}
    again = _bulk(kobo_sandbox, asset_uid, [*records[:3], {"ibu/nama": "baru"}])
    assert len(again["ids"]) == 1 and again["duplicates"] == 3
    assert len(_attempts(kobo_sandbox, hook)) == 6 and len(receiver.requests) == 6
    summary = kobo_sandbox.api("GET", "/__sandbox__/hooks/summary").json()
    assert summary == {"idle": True, "logs": {"success": 6}}
    assert kobo_sandbox.api("GET", "/__sandbox__/hooks/idle").json() == {"idle": True}


def test_hook__bulk_seed_without_hooks_fires_nothing(kobo_sandbox, asset_uid, receiver):
    _hook(kobo_sandbox, asset_uid, receiver.url)
    assert len(_bulk(kobo_sandbox, asset_uid, [{"ibu/nama": "A"}], hooks=False)["ids"]) == 1
    kobo_sandbox.wait_hooks_idle()
    assert receiver.requests == []


def test_hook__deliveries_left_pending_by_a_stopped_sandbox_go_out_on_the_next_start(
    tmp_path, xlsx, receiver
):
    db = tmp_path / "kobo.db"
    with start_kobo_sandbox(db, retry_scale=0.001, hook_timeout=5, seed=1) as s:
        uid = s.import_form(xlsx)
        s.deploy(uid)
        _hook(s, uid, receiver.url)
        s.app.extensions["kobo_sandbox"].hooks.stop()  # as if the process died before delivering
        _bulk(s, uid, [{"ibu/nama": "A"}, {"ibu/nama": "B"}])
        assert receiver.requests == []
    with start_kobo_sandbox(db, retry_scale=0.001, hook_timeout=5, seed=1) as s:
        s.wait_hooks_idle()
        names = sorted(json.loads(r["body"])["ibu/nama"] for r in receiver.requests)
        assert names == ["A", "B"]
