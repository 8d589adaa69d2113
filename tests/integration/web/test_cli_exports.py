"""`pantau export` gives the dashboard's exports; `pantau score` tables a person can act on."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from tests.integration.web.conftest import bearer, make_district
from tests.support.web import BAROS, CIBEUREUM, FAMILIES, MELONG, cli


@pytest.fixture(scope="module")
def district(request, tmp_path_factory):
    """The seeded district on SQLite (the exports' queries are tested on both by the web)."""
    yield from make_district("sqlite", request, tmp_path_factory)


def _csv(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def test_export_tiers__the_same_file_as_the_dashboards_export(district, tmp_path):
    settings, app, world = district
    out = tmp_path / "tiers.csv"
    cli(settings, "export", "tiers", "--wilayah", "3277", "-o", str(out))
    web = app.test_client().get("/exports/tiers.csv", headers=bearer(world, "admin-cimahi"))
    assert web.status_code == 200
    assert out.read_bytes() == web.data
    rows = _csv(out.read_bytes())
    assert rows[0][:3] == ["imp", "nama", "jenis"]
    assert {r[0] for r in rows[1:]} >= {f"PPKBD-{MELONG}", f"PPKBD-{BAROS}"}


def test_export_families__pseudonymised_scoped_audited_and_xlsx(district, tmp_path):
    settings, _, _ = district
    out = tmp_path / "families.xlsx"
    cli(settings, "export", "families", "--wilayah", "32.77.01", "-o", str(out))
    sheet = load_workbook(out).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "keluarga"
    assert {r[1] for r in rows[1:]} <= {MELONG, CIBEUREUM}  # Baros is outside 32.77.01
    assert all(str(r[0]).startswith("kel_") for r in rows[1:])
    text = out.read_bytes().decode("latin-1")
    assert not any(kk in text for _, kk, _ in FAMILIES)
    trail = json.loads(cli(settings, "audit", "--json").stdout)
    ours = [a for a in trail if a["action"] == "export.families" and a["actor"].startswith("cli:")]
    assert ours and ours[-1]["detail"]["filters"]["wilayah"] == "32.77.01"


def test_export__a_period_without_tiers_leaves_the_tier_empty_and_stdout_takes_csv(district):
    settings, _, _ = district
    rows = _csv(cli(settings, "export", "tiers", "--period", "2025-01", "-o", "-").stdout_bytes)
    tier = rows[0].index("tingkat")
    assert rows[1:] and all(r[tier] == "" for r in rows[1:])


def test_score_tables__names_kinds_capitalised_tiers_places_and_words(district):
    settings, _, _ = district
    imp = cli(settings, "score", "imp", "--period", "2026-10", "--wilayah", "3277").stdout
    header, *lines = imp.splitlines()
    assert header.split()[:5] == ["imp", "name", "kind", "period", "tier"]
    melong = next(line for line in lines if line.startswith(f"PPKBD-{MELONG}"))
    assert "Pos KB Melong" in melong and "PPKBD" in melong
    assert any(t in melong for t in (" Dasar ", " Berkembang ", " Mandiri "))
    families = cli(settings, "score", "families", "--wilayah", MELONG).stdout
    header, *lines = families.splitlines()
    assert header.split() == [
        "family",
        "desa",
        "desa_name",
        "rw",
        "rt",
        "target",
        "krs",
        "children",
        "factors",
    ]
    assert lines and all("Melong" in line and " 004 " in line for line in lines)
    assert any("air tidak layak" in line for line in lines)
    assert "True" not in families and "False" not in families
