"""The dashboard's IMP upload (`POST /registry`) stays inside the admin's wilayah.

A row may not name a desa outside it, nor take over a code already registered outside it:
updating such a row would move another district's IMP, with its tier history, into this
admin's wilayah (and out of sight of its own TPPS and admins).
"""

from __future__ import annotations

import html
import io
import json

from tests.integration.web.conftest import bearer
from tests.support.web import cli

HEADER = "code,name,kind,desa,rw,rt,parent\n"
BANDUNG_DESA = "32.73.01.1001"  # Kota Bandung: outside Kota Cimahi's admin


def _upload(client, headers, body: str):
    data = {"file": (io.BytesIO((HEADER + body).encode()), "imp.csv")}
    return client.post("/registry", headers=headers, data=data, content_type="multipart/form-data")


def _registered(settings) -> dict[str, dict]:
    listed = json.loads(cli(settings, "imps", "list", "--json").stdout)
    return {imp["code"]: imp for imp in listed}


def test_registry_upload__another_kotas_imp_cannot_be_taken_over(web, tmp_path):
    client, world, settings = web
    other = tmp_path / "bandung.csv"
    other.write_text(HEADER + f"PPKBD-BDG-1,Pos KB Sukarasa,ppkbd,{BANDUNG_DESA},,,\n")
    cli(settings, "imps", "import", str(other))  # the CLI is unscoped: a district's operator
    before = _registered(settings)["PPKBD-BDG-1"]

    answer = _upload(
        client, bearer(world, "admin-cimahi"), "PPKBD-BDG-1,Diambil alih,ppkbd,32.77.01.1001,,,\n"
    )

    assert answer.status_code == 422
    assert (
        f"PPKBD-BDG-1: already registered in desa {BANDUNG_DESA}, outside your wilayah"
        in html.unescape(answer.get_data(as_text=True))
    )
    assert _registered(settings)["PPKBD-BDG-1"] == before  # nothing written


def test_registry_upload__a_desa_outside_the_wilayah_is_refused(web):
    client, world, settings = web
    answer = _upload(
        client, bearer(world, "admin-cimahi"), f"PPKBD-BDG-2,Pos KB Lain,ppkbd,{BANDUNG_DESA},,,\n"
    )
    assert answer.status_code == 422
    assert f"PPKBD-BDG-2: desa {BANDUNG_DESA} is outside your wilayah" in html.unescape(
        answer.get_data(as_text=True)
    )
    assert "PPKBD-BDG-2" not in _registered(settings)


def test_registry_upload__an_imp_inside_the_wilayah_is_updated(web):
    client, world, settings = web
    code, imp = next(
        (c, i)
        for c, i in _registered(settings).items()
        if i["kind"] == "ppkbd" and i["desa"].startswith("32.77.")
    )
    answer = _upload(
        client, bearer(world, "admin-cimahi"), f"{code},Pos KB Baru,ppkbd,{imp['desa']},,,\n"
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert _registered(settings)[code]["name"] == "Pos KB Baru"
