"""`pantau imps import|list` through the CLI, on both databases."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import select

from cli.main import main
from core.store.models import Institution, Wilayah
from tests.conftest import ROOT, pantau_env

HEADER = "code,name,kind,desa,rw,rt,parent\n"
GOOD = (
    HEADER
    + "P1,Pos KB Melong,ppkbd,32.77.01.1001,,,\n"
    + "S1,Sub Pos KB Mawar,sub_ppkbd,3277011001,3,,P1\n"
    + "K1,Kelompok KB Melati,kelompok_kb,32.77.01.1001,003,2,S1\n"
    + "P2,Pos KB Baros,ppkbd,32.77.02.1001,,,\n"
)


def _cli(settings, *args: str):
    return CliRunner().invoke(main, list(args), env=pantau_env(settings))


def _write(tmp_path: Path, text: str, name: str = "imps.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _registry(session_factory) -> dict[str, Institution]:
    with session_factory() as s:
        return {i.code: i for i in s.scalars(select(Institution))}


def test_imps_import__creates_the_hierarchy_and_the_wilayah_it_needs(
    settings, session_factory, tmp_path
):
    result = _cli(settings, "imps", "import", str(_write(tmp_path, GOOD)))
    assert result.exit_code == 0, result.output
    assert "4 new, 0 changed, 0 unchanged" in result.output
    imps = _registry(session_factory)
    assert imps["S1"].rw == "003" and imps["K1"].rt == "002"
    assert imps["K1"].parent_id == imps["S1"].id and imps["S1"].parent_id == imps["P1"].id
    with session_factory() as s:
        assert s.get(Wilayah, "32.77.01.1001").name == "Melong"
        assert s.get(Wilayah, "32.77").name == "Kota Cimahi"  # ancestors too


def test_imps_import__is_idempotent_and_reports_changes(settings, session_factory, tmp_path):
    path = _write(tmp_path, GOOD)
    assert _cli(settings, "imps", "import", str(path)).exit_code == 0
    again = _cli(settings, "imps", "import", str(path))
    assert "0 new, 0 changed, 4 unchanged" in again.output
    renamed = _write(tmp_path, GOOD.replace("Pos KB Baros", "Pos KB Baros Raya"))
    out = json.loads(_cli(settings, "imps", "import", str(renamed), "--json").output)
    assert out["created"] == [] and out["updated"] == ["P2"] and out["unchanged"] == 3
    assert _registry(session_factory)["P2"].name == "Pos KB Baros Raya"


def test_imps_import__every_bad_row_is_named_and_nothing_is_written(
    settings, session_factory, tmp_path
):
    bad = (
        HEADER
        + "P1,Pos KB Melong,ppkbd,32.77.01.1001,,,\n"
        + "S1,Sub,sub_ppkbd,32.77.01.1001,,,P1\n"  # row 3: no rw
        + "K1,Kel,kelompok_kb,32.77.01.1001,3,2,NOPE\n"  # row 4: unknown parent
        + "X1,Pos,posyandu,32.77.01.1001,,,\n"  # row 5: unknown kind
        + "P9,Pos,ppkbd,32.77,,,\n"  # row 6: a kota, not a desa
        + "P1,Again,ppkbd,32.77.01.1002,,,\n"  # row 7: duplicate code
        + "K2,Kel,kelompok_kb,32.77.01.1002,3,2,P1\n"  # row 8: parent in another desa
    )
    result = _cli(settings, "imps", "import", str(_write(tmp_path, bad)))
    assert result.exit_code == 2
    err = result.stderr
    for needle in (
        "row 3: a sub_ppkbd needs its rw",
        "row 4: parent 'NOPE' is neither in the file nor registered",
        "row 5: kind 'posyandu' is not one of",
        "row 6: desa: 32.77 is a kabupaten/kota, not a desa/kelurahan",
        "row 7: code 'P1' already on row 2",
        "row 8: parent 'P1' is in desa 32.77.01.1001, not 32.77.01.1002",
        "nothing imported (6 problem(s))",
    ):
        assert needle in err, err
    assert "Traceback" not in result.output
    assert _registry(session_factory) == {}


def test_imps_import__a_parent_registered_earlier_and_deactivate_missing(
    settings, session_factory, tmp_path
):
    assert _cli(settings, "imps", "import", str(_write(tmp_path, GOOD))).exit_code == 0
    later = _write(tmp_path, HEADER + "S2,Sub Anggrek,sub_ppkbd,32.77.01.1001,4,,P1\n", "b.csv")
    result = _cli(settings, "imps", "import", str(later), "--deactivate-missing")
    assert result.exit_code == 0, result.output
    assert "1 new" in result.output and "3 deactivated" in result.output
    imps = _registry(session_factory)
    assert imps["S2"].active and imps["S2"].parent_id == imps["P1"].id
    assert not imps["P2"].active and not imps["K1"].active and not imps["S1"].active
    assert imps["P1"].active  # the parent S2 names stays active, though not listed
    # Listing hides deactivated IMPs unless asked.
    codes = [r["code"] for r in json.loads(_cli(settings, "imps", "list", "--json").output)]
    assert codes == ["P1", "S2"]


def test_imps_import__an_xlsx_with_numbers_and_a_semicolon_csv(settings, session_factory, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["code", "name", "kind", "desa", "rw", "rt", "parent"])
    sheet.append(["P1", "Pos KB Melong", "ppkbd", 3277011001, None, None, None])
    sheet.append(["S1", "Sub Mawar", "sub_ppkbd", "32.77.01.1001", 3, None, "P1"])
    book.save(tmp_path / "imps.xlsx")
    result = _cli(settings, "imps", "import", str(tmp_path / "imps.xlsx"))
    assert result.exit_code == 0, result.output
    semicolons = _write(
        tmp_path,
        "\ufeffcode;name;kind;desa;rw;rt;parent\nP2;Pos KB Baros;ppkbd;3277021001;;;\n",
        "x.csv",
    )
    assert _cli(settings, "imps", "import", str(semicolons)).exit_code == 0
    imps = _registry(session_factory)
    assert imps["S1"].rw == "003" and imps["P2"].desa_code == "32.77.02.1001"


def test_imps_list__filters_by_wilayah_written_either_way(settings, tmp_path):
    assert _cli(settings, "imps", "import", str(_write(tmp_path, GOOD))).exit_code == 0
    rows = json.loads(_cli(settings, "imps", "list", "--wilayah", "327702", "--json").output)
    assert [r["code"] for r in rows] == ["P2"] and rows[0]["desa_name"] == "Baros"
    table = _cli(settings, "imps", "list", "--wilayah", "32.77.01").output
    assert "Melati" in table and "Baros" not in table
    bad = _cli(settings, "imps", "list", "--wilayah", "99")
    assert bad.exit_code == 2 and "99 is not a Kemendagri code" in bad.output


def test_imps_import__the_shipped_template_imports(settings, session_factory):
    result = _cli(settings, "imps", "import", str(ROOT / "docs" / "imp_template.csv"))
    assert result.exit_code == 0, result.output
    assert len(_registry(session_factory)) == 3
