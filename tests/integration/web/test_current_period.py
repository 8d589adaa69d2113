"""An IMP's current tier is that of its most recent period, whatever the periods' kinds.

The seeded district has tiers for 2026-10 (months). Scoring 2026-11 and then the first
semester (2026-S1, January to June) must not make the semester "current": as text it sorts
after every month of the year. The lists, an IMP's history and the export agree.
"""

from __future__ import annotations

from tests.integration.web.conftest import bearer
from tests.support.web import MELONG, cli


def test_the_current_tier_is_the_latest_period_by_its_end_not_by_its_name(web):
    client, world, settings = web
    for period in ("2026-11", "2026-S1", "2026-Q3"):
        cli(settings, "score", "imp", "--period", period)
    admin = bearer(world, "admin-cimahi")

    listed = client.get("/api/v1/imps", headers=admin).get_json()["items"]
    assert listed and {row["period"] for row in listed} == {"2026-11"}

    code = world.imps[MELONG]
    one = client.get(f"/api/v1/imps/{code}", headers=admin).get_json()
    assert [h["period"] for h in one["history"]] == ["2026-S1", "2026-Q3", "2026-10", "2026-11"]
    assert one["assessment"]["period"] == "2026-11"

    tiers = client.get("/exports/tiers.csv", headers=admin).data.decode("utf-8-sig")
    row = next(line for line in tiers.splitlines() if line.startswith(f"{code};"))
    assert ";2026-11;" in row
