"""Every route, table-driven: who may call it and what a TPPS of one kelurahan sees.

The table must name every rule and method of `app.url_map`: a new route without a row here
fails `test_every_route__is_in_the_scoping_table`, so it cannot ship unscoped.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Any

import pytest

from tests.integration.web.conftest import bearer
from tests.support.privacy import kk_shaped
from tests.support.web import BAROS, CIBEUREUM, FAMILIES, MELONG, USERS, cli


@dataclass(frozen=True)
class Public:
    """Needs no token; answers `status` without one."""

    path: str
    status: int
    method: str = "GET"


@dataclass(frozen=True)
class Listing:
    """A list or summary inside the user's scope; `?wilayah=` outside it is 404."""

    path: str


@dataclass(frozen=True)
class Object:
    """One object by id: the same route for one in the user's kelurahan and one outside it."""

    path: str  # with {id}
    kind: str  # family, alert, imp, wilayah
    method: str = "GET"
    json: Any = None
    form: Any = None


@dataclass(frozen=True)
class Own:
    """About the user itself (no wilayah data): any signed-in user."""

    path: str
    method: str = "GET"
    ok: int = 200


@dataclass(frozen=True)
class AdminOnly:
    """For admins: a TPPS gets 403."""

    path: str
    method: str = "GET"
    ok: int = 200


EXPORTS = "/exports/<any(tiers, families):name>.<any(csv, xlsx):fmt>"
TABLE: dict[tuple[str, str], Any] = {
    ("/static/<path:filename>", "GET"): Public("/static/pantau.css", 200),
    ("/healthz", "GET"): Public("/healthz", 200),
    ("/readyz", "GET"): Public("/readyz", 200),
    ("/metrics", "GET"): Public("/metrics", 200),
    ("/webhooks/kobo", "POST"): Public("/webhooks/kobo", 401, "POST"),  # its own credentials
    ("/api/v1/openapi.json", "GET"): Public("/api/v1/openapi.json", 200),
    ("/login", "GET"): Public("/login", 200),
    ("/login", "POST"): Public("/login", 400, "POST"),  # no CSRF token
    ("/logout", "POST"): Own("/logout", "POST", 302),
    ("/api/v1/me", "GET"): Own("/api/v1/me"),
    ("/api/v1/overview", "GET"): Listing("/api/v1/overview"),
    ("/api/v1/wilayah", "GET"): Listing("/api/v1/wilayah"),
    ("/api/v1/wilayah/<code>", "GET"): Object("/api/v1/wilayah/{id}", "wilayah"),
    ("/api/v1/imps", "GET"): Listing("/api/v1/imps"),
    ("/api/v1/imps/<code>", "GET"): Object("/api/v1/imps/{id}", "imp"),
    ("/api/v1/families", "GET"): Listing("/api/v1/families"),
    ("/api/v1/families/<key>", "GET"): Object("/api/v1/families/{id}", "family"),
    ("/api/v1/alerts", "GET"): Listing("/api/v1/alerts"),
    ("/api/v1/alerts/<int:alert_id>", "GET"): Object("/api/v1/alerts/{id}", "alert"),
    ("/api/v1/alerts/<int:alert_id>", "PATCH"): Object(
        "/api/v1/alerts/{id}", "alert", "PATCH", json={"referral": "dirujuk"}
    ),
    ("/api/v1/forms", "GET"): AdminOnly("/api/v1/forms"),
    ("/api/v1/forms/<form_id>", "GET"): AdminOnly("/api/v1/forms/keluarga_risiko"),
    ("/api/v1/intake", "GET"): AdminOnly("/api/v1/intake"),
    ("/api/v1/intake/dead-letters", "GET"): AdminOnly("/api/v1/intake/dead-letters"),
    ("/api/v1/intake/problems", "GET"): AdminOnly("/api/v1/intake/problems"),
    ("/", "GET"): Listing("/"),
    ("/imps", "GET"): Listing("/imps"),
    ("/imps/<code>", "GET"): Object("/imps/{id}", "imp"),
    ("/alerts", "GET"): Listing("/alerts"),
    ("/alerts/<int:alert_id>", "GET"): Object("/alerts/{id}", "alert"),
    ("/alerts/<int:alert_id>/referral", "POST"): Object(
        "/alerts/{id}/referral", "alert", "POST", form={"referral": "diterima"}
    ),
    ("/families", "GET"): Listing("/families"),
    ("/families/<key>", "GET"): Object("/families/{id}", "family"),
    (EXPORTS, "GET"): Listing("/exports/families.csv"),
    ("/intake", "GET"): AdminOnly("/intake"),
    ("/registry", "GET"): AdminOnly("/registry"),
    ("/registry", "POST"): AdminOnly("/registry", "POST", 400),  # no file: 400, but allowed
}
# The other kelurahan (and the other kecamatan) a Melong TPPS must never see.
OUTSIDE = (CIBEUREUM, BAROS)
NAMES = {MELONG: "Melong", CIBEUREUM: "Cibeureum", BAROS: "Baros"}


def _routes(app) -> set[tuple[str, str]]:
    return {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def _call(client, method: str, path: str, headers=None, spec: Any = None):
    kwargs: dict[str, Any] = {"headers": headers or {}}
    if spec is not None and getattr(spec, "json", None) is not None:
        kwargs["json"] = spec.json
    if spec is not None and getattr(spec, "form", None) is not None:
        kwargs["data"] = spec.form
    return client.open(path, method=method, **kwargs)


def _ids(world, kind: str, desa: str) -> str:
    return {
        "family": lambda: world.families[desa][0],
        "alert": lambda: str(world.alerts[desa][0]),
        "imp": lambda: world.imps[desa],
        "wilayah": lambda: desa,
    }[kind]()


def test_every_route__is_in_the_scoping_table(district):
    _, app, _ = district
    routes = _routes(app)
    assert routes - set(TABLE) == set(), "routes missing from the scoping table"
    assert set(TABLE) - routes == set(), "table rows for routes that do not exist"
    # and the app itself knows what each route reads
    for endpoint, rule in app.extensions["pantau.access"].items():
        assert rule.level in ("public", "user", "admin"), endpoint


@pytest.mark.parametrize("route", sorted(TABLE), ids=lambda r: f"{r[1]} {r[0]}")
def test_route__without_a_token_is_401_unless_public(web, route):
    client, world, _ = web
    spec = TABLE[route]
    path = (
        spec.path.format(id=_ids(world, spec.kind, MELONG))
        if isinstance(spec, Object)
        else spec.path
    )
    method = getattr(spec, "method", "GET")
    resp = _call(client, method, path, spec=spec)
    if isinstance(spec, Public):
        assert resp.status_code == spec.status, resp.data[:300]
        return
    assert resp.status_code == 401, resp.data[:300]
    wrong = _call(client, method, path, {"Authorization": "Bearer pnt_not-a-token"}, spec)
    assert wrong.status_code == 401


@pytest.mark.parametrize(
    "route",
    sorted(r for r, s in TABLE.items() if not isinstance(s, Public)),
    ids=lambda r: f"{r[1]} {r[0]}",
)
def test_route__a_kelurahan_tpps_sees_only_its_kelurahan(web, route):
    client, world, _ = web
    spec = TABLE[route]
    melong = bearer(world, "tpps-melong")
    method = getattr(spec, "method", "GET")
    if isinstance(spec, Object):
        mine = _call(
            client, method, spec.path.format(id=_ids(world, spec.kind, MELONG)), melong, spec
        )
        assert mine.status_code in (200, 303), mine.data[:300]
        for desa in OUTSIDE:
            theirs = _call(
                client, method, spec.path.format(id=_ids(world, spec.kind, desa)), melong, spec
            )
            assert theirs.status_code == 404, (desa, theirs.data[:300])
    elif isinstance(spec, Listing):
        resp = _call(client, method, spec.path, melong)
        assert resp.status_code == 200, resp.data[:300]
        body = resp.get_data(as_text=True)
        assert MELONG in body or NAMES[MELONG] in body
        for desa in OUTSIDE:
            assert desa not in body and NAMES[desa] not in body, desa
            for key in world.families[desa]:
                assert key not in body
        sep = "&" if "?" in spec.path else "?"
        assert (
            _call(client, method, f"{spec.path}{sep}wilayah={CIBEUREUM}", melong).status_code == 404
        )
        assert _call(client, method, f"{spec.path}{sep}wilayah={MELONG}", melong).status_code == 200
    elif isinstance(spec, AdminOnly):
        assert _call(client, method, spec.path, melong, spec).status_code == 403
        admin = bearer(world, "admin-cimahi")
        assert _call(client, method, spec.path, admin, spec).status_code == spec.ok
    else:
        assert _call(client, method, spec.path, melong, spec).status_code == spec.ok


@pytest.mark.parametrize("path", ["/", "/alerts", "/families", "/imps/x", "/intake"])
def test_page__without_a_session_sends_a_browser_to_the_login(web, path):
    client, _, _ = web
    resp = client.get(path, headers={"Accept": "text/html"})
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/login?next=")


def test_exports__a_tpps_export_holds_only_its_kelurahan_rows(web):
    client, world, _ = web
    for name in ("families", "tiers"):
        for fmt in ("csv", "xlsx"):
            resp = client.get(f"/exports/{name}.{fmt}", headers=bearer(world, "tpps-melong"))
            assert resp.status_code == 200
            if fmt == "csv":
                text = resp.get_data(as_text=True)
                rows = text.strip().splitlines()[1:]
                assert rows and all(MELONG in r for r in rows), text
            other = f"/exports/{name}.{fmt}?wilayah={CIBEUREUM}"
            assert client.get(other, headers=bearer(world, "tpps-melong")).status_code == 404


def test_supervisor__sees_its_desas_imps_but_no_family(web):
    client, world, _ = web
    pkb = bearer(world, "pkb-melong")
    imps = client.get("/api/v1/imps", headers=pkb).get_json()["items"]
    assert {i["desa"] for i in imps} == {MELONG}
    assert client.get("/api/v1/families", headers=pkb).get_json()["items"] == []
    key = world.families[MELONG][0]
    assert client.get(f"/api/v1/families/{key}", headers=pkb).status_code == 404
    # Family alerts are for the TPPS; a PKB sees alerts about IMPs only.
    alert = world.alerts[MELONG][0]
    assert client.get(f"/api/v1/alerts/{alert}", headers=pkb).status_code == 404


def test_admin__of_the_kota_sees_every_kelurahan(web):
    client, world, _ = web
    body = client.get("/api/v1/families", headers=bearer(world, "admin-cimahi")).get_json()
    assert {f["desa"] for f in body["items"]} == {MELONG, CIBEUREUM, BAROS}


def _text(resp) -> str:
    """What a reader of the answer gets: headers and body, the sheets' XML of an XLSX."""
    data = resp.get_data()
    if data[:2] == b"PK":  # an XLSX is a zip of XML parts
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            data = b"".join(z.read(name) for name in z.namelist())
    return str(resp.headers) + data.decode("utf-8", "replace")


@pytest.mark.parametrize("user", list(USERS))
def test_responses__no_role_gets_a_16_digit_number(web, user):
    """No role has identity rights: no API answer, page or export carries a KK/NIK, to anyone."""
    client, world, _ = web
    headers = bearer(world, user)
    paths = [
        spec.path
        for spec in TABLE.values()
        if isinstance(spec, (Listing, Own, AdminOnly)) and getattr(spec, "method", "GET") == "GET"
    ]
    paths += [f"/exports/{name}.{fmt}" for name in ("tiers", "families") for fmt in ("csv", "xlsx")]
    for spec in TABLE.values():
        if isinstance(spec, Object) and spec.method == "GET":
            for desa in NAMES:  # ids outside the user's wilayah too: their 404s are scanned
                paths.append(spec.path.format(id=_ids(world, spec.kind, desa)))
    answered = 0
    for path in paths:
        resp = client.get(path, headers=headers)
        text = _text(resp)
        assert not kk_shaped(text), (user, path)
        assert not any(kk in text for _, kk, _ in FAMILIES), (user, path)
        answered += resp.status_code == 200
    assert answered >= 15, answered  # the scan read real answers, not refusals


@pytest.mark.parametrize("name", ["families", "tiers"])
def test_cli_export__carries_no_16_digit_number(web, tmp_path, name):
    """`pantau export` (the district admin's files) as CSV on stdout and as XLSX."""
    _, _, settings = web
    csv_out = cli(settings, "export", name, "-o", "-").stdout
    cli(settings, "export", name, "-o", str(tmp_path / "out.xlsx"))
    with zipfile.ZipFile(tmp_path / "out.xlsx") as z:
        sheets = b"".join(z.read(n) for n in z.namelist()).decode("utf-8", "replace")
    assert len(csv_out.splitlines()) > 1  # a header and rows
    for text in (csv_out, sheets):
        assert not kk_shaped(text)
        assert not any(kk in text for _, kk, _ in FAMILIES)
