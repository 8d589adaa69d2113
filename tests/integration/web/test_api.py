"""The JSON API and the dashboard on the seeded district: pages, filters, referral, audit."""

from __future__ import annotations

import io
import json

from openpyxl import load_workbook

from tests.integration.web.conftest import bearer
from tests.support.web import CIBEUREUM, MELONG, cli

ROLES = ["pengorganisasian", "pertemuan", "kie_konseling", "pencatatan", "pelayanan", "kemandirian"]


def _all_pages(client, path, headers):
    items, url, pages = [], path, 0
    while url:
        body = client.get(url, headers=headers).get_json()
        items += body["items"]
        url, pages = body["next"], pages + 1
    return items, pages


def test_lists__follow_next_to_every_item_once_in_a_stable_order(web):
    client, world, _ = web
    admin = bearer(world, "admin-cimahi")
    for path in ("/api/v1/families", "/api/v1/alerts", "/api/v1/imps", "/api/v1/wilayah"):
        whole = client.get(path + "?limit=200", headers=admin).get_json()
        assert whole["next"] is None
        paged, pages = _all_pages(client, path + "?limit=1", admin)
        assert paged == whole["items"] and pages == len(whole["items"]), path


def test_lists__a_bad_cursor_or_limit_is_a_400_naming_it(web):
    client, world, _ = web
    admin = bearer(world, "admin-cimahi")
    for query in ("cursor=nonsense!", "limit=0", "limit=abc", "cursor=MTIz"):
        resp = client.get(f"/api/v1/families?{query}", headers=admin)
        assert resp.status_code == 400, query
        assert resp.get_json()["error"]["code"] == "bad_request"


def test_families__filter_by_factor_and_child_status(web):
    client, world, _ = web
    admin = bearer(world, "admin-cimahi")
    stunted = client.get("/api/v1/families?child=stunted", headers=admin).get_json()["items"]
    assert len(stunted) == 3 and all(f["stunted_children"] == 1 for f in stunted)
    normal = client.get("/api/v1/families?child=normal", headers=admin).get_json()["items"]
    assert len(normal) == 1
    water = client.get("/api/v1/families?factor=air_tidak_layak", headers=admin).get_json()
    assert len(water["items"]) == 4
    latrine = client.get("/api/v1/families?factor=jamban_tidak_layak", headers=admin).get_json()
    assert latrine["items"] == []
    one = client.get(f"/api/v1/families?wilayah={CIBEUREUM}", headers=admin).get_json()["items"]
    assert [f["desa"] for f in one] == [CIBEUREUM]


def test_family__detail_has_its_surveys_and_alerts_and_the_read_is_audited(web):
    client, world, settings = web
    key = world.families[MELONG][1]
    body = client.get(f"/api/v1/families/{key}", headers=bearer(world, "tpps-melong")).get_json()
    assert body["family"] == key and len(body["history"]) == 1
    assert body["history"][0]["children"][0]["category"] in ("pendek", "normal")
    assert "born_on" not in json.dumps(body)
    trail = json.loads(cli(settings, "audit", "--user", "tpps-melong", "--json").stdout)
    reads = [r for r in trail if r["action"] == "family.read" and r["target"] == key]
    assert reads and reads[-1]["actor"] == "tpps-melong"
    client.get("/api/v1/families?factor=air_tidak_layak", headers=bearer(world, "tpps-melong"))
    listed = json.loads(
        cli(settings, "audit", "--user", "tpps-melong", "--since", "2000-01-01", "--json").stdout
    )
    assert listed[-1]["action"] == "family.list"
    assert listed[-1]["detail"]["filters"] == {"factor": "air_tidak_layak"}


def test_imp__detail_explains_the_six_roles_with_evidence(web):
    client, world, _ = web
    code = world.imps[MELONG]
    body = client.get(f"/api/v1/imps/{code}", headers=bearer(world, "tpps-melong")).get_json()
    assert body["tier"] in ("dasar", "berkembang", "mandiri")
    assessment = body["assessment"]
    assert [r["role"] for r in assessment["roles"]] == ROLES
    meetings = next(r for r in assessment["roles"] if r["role"] == "pertemuan")
    assert meetings["evidence"] and (meetings["met"] or meetings["not_met"])
    assert body["history"][-1]["period"] == assessment["period"]
    page = client.get(f"/imps/{code}", headers=bearer(world, "tpps-melong"))
    assert "Pertemuan" in page.get_data(as_text=True)


def test_alert__patch_sets_the_referral_and_keeps_the_history(web):
    client, world, _ = web
    alert = world.alerts[MELONG][-1]
    melong = bearer(world, "tpps-melong")
    for status in ("dirujuk", "diterima"):
        resp = client.patch(f"/api/v1/alerts/{alert}", json={"referral": status}, headers=melong)
        assert resp.status_code == 200, resp.data
    body = resp.get_json()
    assert body["referral"] == "diterima" and body["referral_by"] == "tpps-melong"
    assert [h["status"] for h in body["history"]][-2:] == ["dirujuk", "diterima"]
    bad = client.patch(f"/api/v1/alerts/{alert}", json={"referral": "selesai"}, headers=melong)
    assert bad.status_code == 400
    note = {"referral": "ditindaklanjuti", "note": "KK 3277010101200012 sudah dikunjungi"}
    body = client.patch(f"/api/v1/alerts/{alert}", json=note, headers=melong).get_json()
    assert "3277010101200012" not in json.dumps(body)
    assert f"https://pantau.example.go.id/alerts/{alert}" in body["text_id"]


def test_exports__xlsx_opens_with_a_header_and_pseudonymous_keys(web):
    client, world, _ = web
    resp = client.get("/exports/families.xlsx", headers=bearer(world, "admin-cimahi"))
    assert resp.headers["Content-Disposition"].endswith('filename="pantau-families.xlsx"')
    sheet = load_workbook(io.BytesIO(resp.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("keluarga", "desa", "nama_desa")
    assert {r[0] for r in rows[1:]} == {k for keys in world.families.values() for k in keys}
    tiers = client.get("/exports/tiers.csv", headers=bearer(world, "admin-cimahi"))
    text = tiers.data.decode("utf-8-sig")
    assert text.splitlines()[0].startswith("imp;nama;jenis;desa")
    assert f"{world.imps[MELONG]};Pos KB Melong;ppkbd" in text


def test_dashboard__speaks_indonesian_until_english_is_asked_for(web):
    client, world, _ = web
    admin = bearer(world, "admin-cimahi")
    page = client.get("/", headers=admin).get_data(as_text=True)
    assert '<html lang="id">' in page and "Ringkasan" in page and "<svg" in page
    english = client.get("/?lang=en", headers=admin)
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert "pantau_lang=en" in english.headers["Set-Cookie"]
    again = client.get("/alerts", headers=admin).get_data(as_text=True)
    assert '<html lang="en">' in again and "Alerts" in again
    client.get("/?lang=id", headers=admin)


def test_api__ids_past_64_bits_and_nul_characters_are_client_errors(web):
    client, world, _ = web
    admin = bearer(world, "admin-cimahi")
    huge = 10**30
    assert client.get(f"/api/v1/alerts/{huge}", headers=admin).status_code == 404
    assert (
        client.patch(
            f"/api/v1/alerts/{huge}", json={"referral": "dirujuk"}, headers=admin
        ).status_code
        == 404
    )
    assert (
        client.get(
            "/api/v1/alerts?cursor=MTAwMDAwMDAwMDAwMDAwMDAwMDAwMDA", headers=admin
        ).status_code
        == 400
    )
    assert client.get("/api/v1/imps/a%00b", headers=admin).status_code == 400
    assert client.get("/api/v1/families?factor=%00", headers=admin).status_code == 400
