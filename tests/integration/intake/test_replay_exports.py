"""`pantau intake replay` of Kobo's own data exports (XLSX with repeat sheets, CSV)."""

from __future__ import annotations

import json
from datetime import date, datetime

from click.testing import CliRunner
from openpyxl import Workbook
from sqlalchemy import select

from cli.main import main
from core.store.models import Submission
from tests.conftest import pantau_env
from tests.integration.intake.conftest import submit_and_read
from tests.support.submissions import family_answers

NO_KK = "3277010101200012"
SKIP = ("_attachments", "_geolocation", "_validation_status", "_xform_id_string", "anak")


def _cli(settings, *args: str):
    return CliRunner().invoke(main, list(args), env=pantau_env(settings))


def _typed(key: str, value):
    """A cell as Kobo's XLSX export may type it: numbers and dates, not text."""
    if key == "_id":
        return value
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return datetime.fromisoformat(value)
    try:
        return float(value) if "." in value else int(value)
    except (TypeError, ValueError):
        return value


def _xlsx(path, records: list[dict]) -> None:
    """What Kobo's XLS export (XML values and headers, group separator /) looks like."""
    book = Workbook()
    main_sheet = book.active
    main_sheet.title = "Pendataan Keluarga Risiko Stunting"[:31]
    columns = sorted({k for r in records for k in r if k not in SKIP})
    main_sheet.append([*columns, "_validation_status", "_index"])
    for n, r in enumerate(records, start=1):
        main_sheet.append([_typed(c, r.get(c)) for c in columns] + ["Approved", n])
    repeat = book.create_sheet("anak")
    child_cols = sorted({k for r in records for row in r.get("anak", []) for k in row})
    repeat.append(
        [*child_cols, "_index", "_parent_table_name", "_parent_index", "_submission__uuid"]
    )
    index = 0
    for n, r in enumerate(records, start=1):
        for row in r.get("anak", []):
            index += 1
            cells = [_typed(c, row.get(c)) for c in child_cols]
            repeat.append([*cells, index, "Pendataan Keluarga Risiko Stunting", n, r["_uuid"]])
    book.save(path)


def test_replay__a_kobo_xlsx_export_with_repeat_sheets_is_the_same_as_its_json(
    settings, kobo_sandbox, family_form, session_factory, tmp_path
):
    records = [
        submit_and_read(kobo_sandbox, family_form, family_answers(NO_KK)),
        submit_and_read(
            kobo_sandbox, family_form, family_answers("3277010101200013", survey=date(2026, 9, 2))
        ),
    ]
    export = tmp_path / "export.xlsx"
    _xlsx(export, records)

    result = _cli(settings, "intake", "replay", str(export), "--form", "keluarga_risiko")
    assert result.exit_code == 0, result.output
    assert "2 new, 0 duplicates, 0 refused" in result.stdout
    with session_factory() as s:
        stored = {r.instance_id: r for r in s.scalars(select(Submission))}
    for record in records:
        raw = stored[record["_uuid"]].raw
        # A typed cell loses a trailing ".0" (78.0 is read back as 78): the same number.
        child, sent = raw["anak"][0], record["anak"][0]
        assert float(child["anak/tinggi_cm"]) == float(sent["anak/tinggi_cm"])
        assert child["anak/tgl_lahir_anak"] == sent["anak/tgl_lahir_anak"]
        assert raw["wilayah/desa"] == record["wilayah/desa"] and raw["_id"] == record["_id"]
        assert NO_KK not in json.dumps(raw)  # pseudonymised like every intake path

    page = tmp_path / "page.json"
    page.write_text(json.dumps({"results": records}))
    again = _cli(settings, "intake", "replay", str(page))
    assert "0 new, 2 duplicates" in again.stdout  # same records, same identities
    families = json.loads(_cli(settings, "score", "families", "--json").stdout)
    assert {len(f["children"]) for f in families} == {1}
    assert all(f["children"][0]["haz"] is not None for f in families)


def test_replay__a_kobo_csv_export_drops_choice_columns_and_keeps_answers(
    settings, kobo_sandbox, family_form, session_factory, tmp_path
):
    record = submit_and_read(kobo_sandbox, family_form, family_answers(NO_KK))
    columns = sorted(k for k in record if k not in SKIP)
    header = [*columns, "rumah/sumber_air/sumur_tidak_terlindung", "_index"]
    values = [str(record[c]) for c in columns] + ["1", "1"]
    export = tmp_path / "export.csv"
    export.write_text("\ufeff" + ";".join(header) + "\n" + ";".join(values) + "\n")

    result = _cli(settings, "intake", "replay", str(export), "--form", "keluarga_risiko")
    assert result.exit_code == 0, result.output
    with session_factory() as s:
        raw = s.scalars(select(Submission)).one().raw
    assert raw["rumah/sumber_air"] == "sumur_tidak_terlindung"
    assert "rumah/sumber_air/sumur_tidak_terlindung" not in raw and "_index" not in raw


def test_replay__an_export_with_labels_or_without_form_is_refused_naming_the_file(
    settings, family_form, tmp_path
):
    labels = tmp_path / "labels.csv"
    labels.write_text("Nama desa;_uuid\nMelong;abc\n")
    result = _cli(settings, "intake", "replay", str(labels), "--form", "keluarga_risiko")
    assert result.exit_code == 2
    (line,) = result.stderr.splitlines()
    assert "labels.csv" in line and "XML values and headers" in line

    no_form = _cli(settings, "intake", "replay", str(labels))
    assert no_form.exit_code == 2 and "--form FORM" in no_form.stderr

    unknown = _cli(settings, "intake", "replay", str(labels), "--form", "nosuchform")
    assert unknown.exit_code == 2 and "nosuchform" in unknown.stderr
