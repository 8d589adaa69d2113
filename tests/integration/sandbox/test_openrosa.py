from __future__ import annotations

import requests

FULL = {
    "ibu/nama": "Siti",
    "ibu/tgl_lahir": "",
    "anak": [
        {"anak/jk": "l", "anak/tinggi_cm": "78.0"},
        {"anak/jk": "", "anak/tinggi_cm": ""},
        {"anak/jk": "p", "anak/tinggi_cm": "65"},
    ],
    "lokasi": "-6.8841 107.5413 712 5",
    "alat": "pil iud",
}


def _record(s, uid, sub_id):
    return s.api("GET", f"/api/v2/assets/{uid}/data/{sub_id}/").json()


def test_submission__becomes_kobo_flat_string_dict(kobo_sandbox, asset_uid):
    sub_id, iid = kobo_sandbox.submit_answers(asset_uid, FULL)
    rec = _record(kobo_sandbox, asset_uid, sub_id)
    asset = kobo_sandbox.api("GET", f"/api/v2/assets/{asset_uid}/").json()
    assert rec["ibu/nama"] == "Siti" and "ibu/tgl_lahir" not in rec
    # The blank repeat row disappears and later rows shift up.
    assert rec["anak"] == [
        {"anak/jk": "l", "anak/tinggi_cm": "78.0"},
        {"anak/jk": "p", "anak/tinggi_cm": "65"},
    ]
    assert rec["alat"] == "pil iud"
    assert rec["_geolocation"] == [-6.8841, 107.5413]
    assert rec["_uuid"] == iid.removeprefix("uuid:")
    assert rec["meta/instanceID"] == iid and rec["meta/rootUuid"] == iid
    assert rec["_xform_id_string"] == asset_uid
    assert rec["__version__"] == asset["deployed_version_id"]
    assert len(rec["formhub/uuid"]) == 32
    assert rec["_status"] == "submitted_via_web" and rec["_validation_status"] == {}
    assert rec["_submitted_by"] == "pantau" and isinstance(rec["_id"], int)
    assert len(rec["_submission_time"]) == 19 and "+" not in rec["_submission_time"]
    answers = {k: v for k, v in rec.items() if not k.startswith("_") and k != "anak"}
    assert all(isinstance(v, str) for v in answers.values())


def test_submission__empty_group_and_repeat_are_absent(kobo_sandbox, asset_uid):
    sub_id, _ = kobo_sandbox.submit_answers(
        asset_uid, {"ibu/nama": "", "anak": [{"anak/jk": ""}], "alat": "pil"}
    )
    rec = _record(kobo_sandbox, asset_uid, sub_id)
    assert "anak" not in rec and not any(k.startswith("ibu/") for k in rec)
    assert rec["_geolocation"] == [None, None]


def test_submission__without_auth_is_401_with_digest_challenge(kobo_sandbox, asset_uid):
    xml, _ = kobo_sandbox.instance(asset_uid, FULL)
    resp = kobo_sandbox.submit(xml, auth=None)
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"].startswith("Digest ")


def test_submission__basic_auth_user_path_records_submitter(kobo_sandbox, asset_uid):
    xml, iid = kobo_sandbox.instance(asset_uid, FULL)
    resp = kobo_sandbox.submit(xml, auth=("kader01", "kader01"), path="/pantau/submission")
    assert resp.status_code == 201 and "OpenRosaResponse" in resp.text
    rows = kobo_sandbox.api("GET", f"/api/v2/assets/{asset_uid}/data/").json()["results"]
    assert rows[0]["_submitted_by"] == "kader01"
    wrong = kobo_sandbox.submit(xml, auth=("kader01", "wrong"))
    assert wrong.status_code == 401


def test_submission__same_instance_again_is_202_and_stores_nothing(kobo_sandbox, asset_uid):
    xml, _ = kobo_sandbox.instance(asset_uid, FULL)
    assert kobo_sandbox.submit(xml).status_code == 201
    again = kobo_sandbox.submit(xml)
    assert again.status_code == 202
    assert kobo_sandbox.api("GET", f"/api/v2/assets/{asset_uid}/data/").json()["count"] == 1


def test_submission__unknown_form_is_404(kobo_sandbox, asset_uid):
    xml, _ = kobo_sandbox.instance(asset_uid, FULL)
    from tests.support.kobo_sandbox import rewrite_root_id

    other = rewrite_root_id(xml, "aNoSuchAsset0000000000")
    # Drop formhub/uuid too, or kobocat would still find the form by it.
    other = other.replace(b"<formhub>", b"<x>").replace(b"</formhub>", b"</x>")
    assert kobo_sandbox.submit(other).status_code == 404


def test_edit__keeps_id_and_time_changes_uuid_replaced_is_410_unknown_404(kobo_sandbox, asset_uid):
    sub_id, iid = kobo_sandbox.submit_answers(asset_uid, FULL)
    before = _record(kobo_sandbox, asset_uid, sub_id)
    xml, iid2 = kobo_sandbox.instance(asset_uid, {**FULL, "ibu/nama": "Siti R"}, deprecated_id=iid)
    assert kobo_sandbox.submit(xml).status_code == 201
    after = _record(kobo_sandbox, asset_uid, sub_id)
    assert after["_id"] == before["_id"] and after["ibu/nama"] == "Siti R"
    assert after["_uuid"] == iid2.removeprefix("uuid:") != before["_uuid"]
    assert after["_submission_time"] == before["_submission_time"]
    assert after["meta/rootUuid"] == iid and after["meta/deprecatedID"] == iid
    assert kobo_sandbox.api("GET", f"/api/v2/assets/{asset_uid}/data/").json()["count"] == 1
    stale, _ = kobo_sandbox.instance(asset_uid, FULL, deprecated_id=iid)
    assert kobo_sandbox.submit(stale).status_code == 410
    unknown, _ = kobo_sandbox.instance(asset_uid, FULL, deprecated_id="uuid:nope")
    assert kobo_sandbox.submit(unknown).status_code == 404


def test_attachments__current_shape_with_absolute_url_needing_token(kobo_sandbox, asset_uid):
    xml, _ = kobo_sandbox.instance(asset_uid, {**FULL, "foto": "1724227540123.jpg"})
    resp = kobo_sandbox.submit(
        xml, files={"1724227540123.jpg": ("1724227540123.jpg", b"JPEGDATA", "image/jpeg")}
    )
    assert resp.status_code == 201
    rec = kobo_sandbox.api("GET", f"/api/v2/assets/{asset_uid}/data/").json()["results"][0]
    att = rec["_attachments"][0]
    assert set(att) == {
        "download_url",
        "mimetype",
        "filename",
        "media_file_basename",
        "uid",
        "is_deleted",
        "question_xpath",
    }
    assert att["question_xpath"] == "foto" and att["is_deleted"] is False
    assert att["download_url"].startswith("http://")
    assert requests.get(att["download_url"], timeout=10).status_code == 404
    assert kobo_sandbox.session.get(att["download_url"], timeout=10).content == b"JPEGDATA"
