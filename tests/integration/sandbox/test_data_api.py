from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import requests


def _data(s, uid, **params):
    params = {k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in params.items()}
    return s.api("GET", f"/api/v2/assets/{uid}/data/", params=params)


def test_auth__no_token_is_404_and_bad_token_is_401(kobo_sandbox, asset_uid):
    url = kobo_sandbox.url(f"/api/v2/assets/{asset_uid}/data/")
    anon = requests.get(url, timeout=10)
    assert anon.status_code == 404 and anon.json() == {"detail": "Not found."}
    assert (
        requests.get(kobo_sandbox.url(f"/api/v2/assets/{asset_uid}/"), timeout=10).status_code
        == 404
    )
    bad = requests.get(url, headers={"Authorization": "Token nope"}, timeout=10)
    assert bad.status_code == 401


def test_limit__is_capped_at_1000_and_next_pages_with_start(kobo_sandbox, asset_uid):
    kobo_sandbox.seed(asset_uid, count=1100, answers={"ibu/nama": "X"})
    first = _data(kobo_sandbox, asset_uid, limit=5000).json()
    assert first["count"] == 1100 and len(first["results"]) == 1000
    assert first["previous"] is None
    query = parse_qs(urlsplit(first["next"]).query)
    assert query["start"] == ["1000"] and query["limit"] == ["1000"]
    second = kobo_sandbox.session.get(first["next"], timeout=30).json()
    assert len(second["results"]) == 100 and second["next"] is None
    assert second["previous"] is not None
    ids = [r["_id"] for r in first["results"] + second["results"]]
    assert ids == sorted(ids) and len(set(ids)) == 1100


def test_query_sort_fields__json_that_does_not_parse_is_kpis_field_error(kobo_sandbox, asset_uid):
    # As a real kpi (2e5efb0172) answers: the parameter named, the message a string.
    for name in ("query", "sort", "fields"):
        bad = _data(kobo_sandbox, asset_uid, **{name: "{not json"})
        assert (bad.status_code, bad.json()) == (400, {name: "Value must be valid JSON."})


def test_limit__default_100_and_zero_is_a_field_error(kobo_sandbox, asset_uid):
    kobo_sandbox.seed(asset_uid, count=150)
    assert len(_data(kobo_sandbox, asset_uid).json()["results"]) == 100
    zero = _data(kobo_sandbox, asset_uid, limit=0)
    assert zero.status_code == 400
    assert zero.json() == {"limit": ["A positive integer is required"]}


def test_query__gt_on_id_and_submission_time(kobo_sandbox, asset_uid):
    ids = kobo_sandbox.seed(
        asset_uid,
        records=[
            {"ibu/nama": "a", "_submission_time": "2026-08-01T00:00:00"},
            {"ibu/nama": "b", "_submission_time": "2026-08-02T00:00:00"},
            {"ibu/nama": "c", "_submission_time": "2026-08-03T00:00:00"},
        ],
    )
    by_id = _data(kobo_sandbox, asset_uid, query={"_id": {"$gt": ids[0]}}).json()
    assert [r["_id"] for r in by_id["results"]] == ids[1:]
    by_time = _data(
        kobo_sandbox, asset_uid, query={"_submission_time": {"$gte": "2026-08-02T00:00:00"}}
    ).json()
    assert [r["ibu/nama"] for r in by_time["results"]] == ["b", "c"]
    combo = _data(
        kobo_sandbox, asset_uid, query={"$or": [{"ibu/nama": "a"}, {"_id": {"$in": [ids[2]]}}]}
    ).json()
    assert [r["_id"] for r in combo["results"]] == [ids[0], ids[2]]
    # Kobo stores answers as strings: a number never equals a string.
    assert _data(kobo_sandbox, asset_uid, query={"_id": str(ids[0])}).json()["count"] == 0


def test_sort__descending(kobo_sandbox, asset_uid):
    ids = kobo_sandbox.seed(asset_uid, count=3)
    body = _data(kobo_sandbox, asset_uid, sort={"_id": -1}).json()
    assert [r["_id"] for r in body["results"]] == list(reversed(ids))


def test_fields__always_adds_uuid_root_uuid_and_validation_status(kobo_sandbox, asset_uid):
    kobo_sandbox.seed(asset_uid, count=1, answers={"ibu/nama": "a", "alat": "pil"})
    row = _data(kobo_sandbox, asset_uid, fields=["ibu/nama"]).json()["results"][0]
    assert set(row) == {"_id", "ibu/nama", "_uuid", "meta/rootUuid", "_validation_status"}


def test_bad_query_is_400_and_format_xml_is_406(kobo_sandbox, asset_uid):
    assert _data(kobo_sandbox, asset_uid, query="{not json").status_code == 400
    assert _data(kobo_sandbox, asset_uid, format="xml").status_code == 406


def test_delete__is_hard_204_then_404_and_ids_are_not_reused(kobo_sandbox, asset_uid):
    ids = kobo_sandbox.seed(asset_uid, count=2)
    path = f"/api/v2/assets/{asset_uid}/data/{ids[1]}/"
    assert kobo_sandbox.api("GET", path).json()["_id"] == ids[1]
    assert kobo_sandbox.api("DELETE", path).status_code == 204
    assert kobo_sandbox.api("GET", path).status_code == 404
    assert kobo_sandbox.api("DELETE", path).status_code == 404
    new = kobo_sandbox.seed(asset_uid, count=1)
    assert new[0] > ids[1]
    assert _data(kobo_sandbox, asset_uid).json()["count"] == 2


def test_version__data_carries_kobo_version_uid(kobo_sandbox, asset_uid, xlsx):
    v1 = kobo_sandbox.api("GET", f"/api/v2/assets/{asset_uid}/").json()["version_id"]
    kobo_sandbox.submit_answers(asset_uid, {"ibu/nama": "A"})
    kobo_sandbox.import_form(xlsx, destination=kobo_sandbox.url(f"/api/v2/assets/{asset_uid}/"))
    v2 = kobo_sandbox.api("GET", f"/api/v2/assets/{asset_uid}/").json()["version_id"]
    kobo_sandbox.api(
        "PATCH", f"/api/v2/assets/{asset_uid}/deployment/", json={"active": True, "version_id": v2}
    )
    kobo_sandbox.submit_answers(asset_uid, {"ibu/nama": "B"})
    rows = _data(kobo_sandbox, asset_uid).json()["results"]
    assert [r["__version__"] for r in rows] == [v1, v2]


def test_query__keyset_pages_answer_as_a_full_match_does(kobo_sandbox, asset_uid):
    # `_id` > N by `_id` (the pull's question) is answered from the database, anything else
    # by matching every record: the two must agree, hard deletes and paging included.
    ids = kobo_sandbox.seed(asset_uid, count=7, answers={"ibu/nama": "X"})
    assert kobo_sandbox.api("DELETE", f"/api/v2/assets/{asset_uid}/data/{ids[2]}/").ok
    for after in (0, ids[0], ids[3], ids[-1]):
        keyset = _data(
            kobo_sandbox, asset_uid, query={"_id": {"$gt": after}}, sort={"_id": 1}, limit=3
        )
        full = _data(
            kobo_sandbox,
            asset_uid,
            query={"_id": {"$gt": after, "$lt": ids[-1] + 1}},
            sort={"_id": 1},
            limit=3,
        )
        assert keyset.status_code == full.status_code == 200
        a, b = keyset.json(), full.json()
        assert (a["count"], a["results"], a["next"] is None) == (
            b["count"],
            b["results"],
            b["next"] is None,
        )
    assert _data(kobo_sandbox, asset_uid, query={"_id": {"$gt": ids[0]}}).json()["count"] == 5


def test_page_log__records_what_each_page_asked_after_and_served(kobo_sandbox, asset_uid):
    ids = kobo_sandbox.seed(asset_uid, count=5, answers={"ibu/nama": "X"})
    _data(kobo_sandbox, asset_uid, query={"_id": {"$gt": ids[1]}}, sort={"_id": 1}, limit=2)
    _data(kobo_sandbox, asset_uid, limit=2, start=2)  # no keyset question: after is None
    pages = kobo_sandbox.data_pages(asset_uid)
    assert [(p["after"], p["start"], p["records"], p["first_id"], p["last_id"]) for p in pages] == [
        (ids[1], 0, 2, ids[2], ids[3]),
        (None, 2, 2, ids[2], ids[3]),
    ]
    assert pages[0]["seq"] < pages[1]["seq"]
    assert kobo_sandbox.data_pages("aNoSuchAsset") == []
    requests.post(kobo_sandbox.url("/__sandbox__/reset"), timeout=10)
    assert kobo_sandbox.data_pages(asset_uid) == []
