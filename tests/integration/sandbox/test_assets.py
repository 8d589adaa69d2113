from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import openpyxl

from tests.support.kobo_sandbox import sample_xlsform

UID_RE = re.compile(r"^[a-zA-Z0-9]{22}$")


def _import(s, xlsx, **data):
    resp = s.api(
        "POST", "/api/v2/imports/", data={"name": "x", **data}, files={"file": ("f.xlsx", xlsx)}
    )
    assert resp.status_code == 201
    return resp.json()


def test_import__answers_201_processing_then_polls_to_complete(kobo_sandbox, xlsx):
    body = _import(kobo_sandbox, xlsx, library="false")
    # As a real kpi answers: the POST carries the import's `url`, its detail does not.
    assert set(body) == {"uid", "url", "status"} and body["status"] == "processing"
    assert body["url"] == kobo_sandbox.url(f"/api/v2/imports/{body['uid']}/")
    first = kobo_sandbox.api("GET", f"/api/v2/imports/{body['uid']}/").json()
    assert first["status"] == "processing"
    done = kobo_sandbox.wait_import(body["uid"])
    assert done["status"] == "complete"
    assert done["messages"]["created"][0]["uid"].startswith("a")
    assert set(done) == {"status", "uid", "messages", "date_created"}


def test_import__names_the_asset_after_form_title_and_keeps_form_id_in_content(kobo_sandbox, xlsx):
    # A real kpi ignores the import's `name` when the XLSForm has a form_title, and keeps the
    # settings sheet in `content.settings` (form_id as `id_string`, form_title dropped).
    uid = kobo_sandbox.import_form(xlsx, name="Sandbox test / English title")
    asset = kobo_sandbox.api("GET", f"/api/v2/assets/{uid}/").json()
    assert asset["name"] == "Sandbox test"
    assert asset["content"]["settings"] == {"version": "2026010101", "id_string": "sandbox_test"}
    assert asset["settings"] == {
        "sector": {},
        "country": [],
        "description": "",
        "organization": "",
        "country_codes": [],
    }
    assert asset["deployment__uuid"] is None
    kobo_sandbox.deploy(uid)
    asset = kobo_sandbox.api("GET", f"/api/v2/assets/{uid}/").json()
    assert re.fullmatch(r"[0-9a-f]{32}", asset["deployment__uuid"])


def test_data__records_start_with_id_and_carry_formhub_uuid(kobo_sandbox, asset_uid):
    record_id, _ = kobo_sandbox.submit_answers(asset_uid, {"ibu/nama": "Siti"})
    [record] = kobo_sandbox.api("GET", f"/api/v2/assets/{asset_uid}/data/").json()["results"]
    asset = kobo_sandbox.api("GET", f"/api/v2/assets/{asset_uid}/").json()
    keys = list(record)
    assert keys[:2] == ["_id", "formhub/uuid"] and record["_id"] == record_id
    assert record["formhub/uuid"] == asset["deployment__uuid"]
    assert keys.index("_xform_id_string") < keys.index("_uuid") < keys.index("meta/rootUuid")


def test_import__without_library_false_becomes_a_block_that_cannot_deploy(kobo_sandbox, xlsx):
    uid = kobo_sandbox.import_form(xlsx, library=None)
    asset = kobo_sandbox.api("GET", f"/api/v2/assets/{uid}/").json()
    assert asset["asset_type"] == "block"
    resp = kobo_sandbox.api("POST", f"/api/v2/assets/{uid}/deployment/", json={"active": True})
    assert resp.status_code == 400
    survey = kobo_sandbox.import_form(xlsx, library=None, extra={"desired_type": "survey"})
    assert kobo_sandbox.api("GET", f"/api/v2/assets/{survey}/").json()["asset_type"] == "survey"


def test_import__bad_xlsform_reports_error(kobo_sandbox):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    ws.append(("type", "name", "label"))
    ws.append(("no_such_type", "q", "Q"))
    buf = io.BytesIO()
    wb.save(buf)
    body = _import(kobo_sandbox, buf.getvalue(), library="false")
    done = kobo_sandbox.wait_import(body["uid"])
    assert done["status"] == "error"
    assert done["messages"]["error"]


def test_deploy__draft_then_deployed_and_second_post_is_405(kobo_sandbox, xlsx):
    uid = kobo_sandbox.import_form(xlsx)
    asset = kobo_sandbox.api("GET", f"/api/v2/assets/{uid}/").json()
    assert asset["deployed_version_id"] is None
    assert asset["deployment_status"] == "draft"
    assert asset["deployed_versions"]["count"] == 0
    assert UID_RE.match(asset["version_id"]) and asset["version_id"].startswith("v")
    dep = kobo_sandbox.deploy(uid)
    assert set(dep) == {"backend", "active", "version_id", "asset"}
    assert dep["active"] is True and dep["version_id"] == asset["version_id"]
    asset = kobo_sandbox.api("GET", f"/api/v2/assets/{uid}/").json()
    assert asset["deployed_version_id"] == asset["version_id"]
    assert asset["deployment_status"] == "deployed" and asset["deployment__active"] is True
    again = kobo_sandbox.api("POST", f"/api/v2/assets/{uid}/deployment/", json={"active": True})
    assert again.status_code == 405
    assert again.json() == {"detail": "Use PATCH to update an existing deployment"}


def test_reimport__always_makes_a_new_version_and_deployed_stays_until_patch(kobo_sandbox, xlsx):
    uid = kobo_sandbox.import_form(xlsx)
    v1 = kobo_sandbox.deploy(uid)["version_id"]
    url = f"{kobo_sandbox.base_url}/api/v2/assets/{uid}/"
    assert kobo_sandbox.import_form(xlsx, destination=url) == uid
    asset = kobo_sandbox.api("GET", f"/api/v2/assets/{uid}/").json()
    v2 = asset["version_id"]
    assert v2 != v1  # identical content still makes a new version, as kpi does
    assert asset["deployed_version_id"] == v1
    resp = kobo_sandbox.api(
        "PATCH", f"/api/v2/assets/{uid}/deployment/", json={"active": True, "version_id": v2}
    )
    assert resp.status_code == 200 and resp.json()["version_id"] == v2
    asset = kobo_sandbox.api("GET", f"/api/v2/assets/{uid}/").json()
    assert asset["deployed_version_id"] == v2
    assert [v["uid"] for v in asset["deployed_versions"]["results"]] == [v2, v1]
    assert asset["deployed_versions"]["count"] == 2


def test_xform__is_rewritten_with_asset_uid_kobo_version_formhub_and_version(
    kobo_sandbox, asset_uid
):
    asset = kobo_sandbox.api("GET", f"/api/v2/assets/{asset_uid}/").json()
    xform = kobo_sandbox.xform(asset_uid)
    root = ET.fromstring(xform)
    inst = next(e for e in root.iter() if e.tag.endswith("}instance") and "id" not in e.attrib)
    form_root = next(iter(inst))
    assert form_root.tag.endswith(asset_uid) and form_root.attrib["id"] == asset_uid
    assert re.fullmatch(r"1 \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\)", form_root.attrib["version"])
    assert f"'{asset['deployed_version_id']}'" in xform
    assert f"/{asset_uid}/formhub/uuid" in xform and f"/{asset_uid}/__version__" in xform


def test_assets_list__has_kobo_shape(kobo_sandbox, asset_uid):
    body = kobo_sandbox.api("GET", "/api/v2/assets/").json()
    assert set(body) == {"count", "next", "previous", "results"}
    item = body["results"][0]
    assert item["uid"] == asset_uid and item["asset_type"] == "survey"
    assert item["deployment__active"] is True and item["url"].endswith(f"/{asset_uid}/")


def test_form_media__upload_then_listed(kobo_sandbox, asset_uid):
    resp = kobo_sandbox.api(
        "POST",
        f"/api/v2/assets/{asset_uid}/files/",
        data={"file_type": "form_media", "description": "desa"},
        files={"content": ("desa.csv", b"name,label\n1,A\n", "text/csv")},
    )
    assert resp.status_code == 201
    listing = kobo_sandbox.api("GET", f"/api/v2/assets/{asset_uid}/files/").json()
    assert listing["count"] == 1
    assert listing["results"][0]["metadata"]["filename"] == "desa.csv"
    content = kobo_sandbox.api(
        "GET", f"/api/v2/assets/{asset_uid}/files/{listing['results'][0]['uid']}/content/"
    )
    assert content.content == b"name,label\n1,A\n"


def test_archive__refuses_submissions_with_405(kobo_sandbox, asset_uid):
    resp = kobo_sandbox.api(
        "PATCH", f"/api/v2/assets/{asset_uid}/deployment/", json={"active": False}
    )
    assert resp.status_code == 200 and resp.json()["active"] is False
    asset = kobo_sandbox.api("GET", f"/api/v2/assets/{asset_uid}/").json()
    assert asset["deployment_status"] == "archived" and asset["deployment__active"] is False
    xml, _ = kobo_sandbox.instance(asset_uid, {"ibu/nama": "A"})
    assert kobo_sandbox.submit(xml).status_code == 405


def test_state__survives_a_restart(tmp_path):
    from tests.support.kobo_sandbox import start_kobo_sandbox

    with start_kobo_sandbox(tmp_path / "k.db") as s:
        uid = s.import_form(sample_xlsform())
        s.deploy(uid)
        s.submit_answers(uid, {"ibu/nama": "A"})
    with start_kobo_sandbox(tmp_path / "k.db") as s:
        data = s.api("GET", f"/api/v2/assets/{uid}/data/").json()
        assert data["count"] == 1 and data["results"][0]["ibu/nama"] == "A"
