"""`pantau forms dump FORM`: a workbook as deterministic text, so form changes can be reviewed."""

from __future__ import annotations

import difflib

from click.testing import CliRunner
from openpyxl import Workbook, load_workbook

from cli.main import main
from tests.conftest import KEY_ENV
from tests.integration.forms.conftest import FORMS_DIR


def _dump(forms_dir, form, tmp_path):
    env = {
        **KEY_ENV,
        "PANTAU_FORMS_DIR": str(forms_dir),
        "PANTAU_VAR_DIR": str(tmp_path / "var"),
    }
    return CliRunner().invoke(main, ["forms", "dump", form], env=env)


def _sections(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("[") and line.endswith("]")]


def test_forms_dump__prints_survey_choices_settings_one_line_per_row(tmp_path):
    result = _dump(FORMS_DIR, "keluarga_risiko", tmp_path)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert _sections(result.output) == ["[survey]", "[choices]", "[settings]"]
    assert lines[1].startswith("type\tname\tlabel::Indonesian (id)\tlabel::English (en)")
    assert any(
        line.startswith("integer\tjumlah_anak_hidup\tJumlah anak lahir hidup\t") for line in lines
    )
    assert "ya_tidak\tya\tYa\tYes" in lines
    assert lines[lines.index("[settings]") + 1].startswith("form_id\tform_title")
    # Empty trailing cells are dropped: no line ends with the separator.
    assert not [line for line in lines if line.endswith("\t")]
    wb = load_workbook(FORMS_DIR / "keluarga_risiko.xlsx", read_only=True)
    rows = sum(1 for r in wb["survey"].iter_rows(values_only=True) if any(r))
    wb.close()
    survey = lines[1 : lines.index("[choices]") - 1]
    assert len(survey) == rows


def test_forms_dump__same_workbook_same_text_by_name_or_path(tmp_path, forms_copy):
    first = _dump(FORMS_DIR, "profil_imp", tmp_path).output
    assert _dump(FORMS_DIR, "profil_imp", tmp_path).output == first
    by_path = _dump(tmp_path, str(forms_copy / "profil_imp.xlsx"), tmp_path)
    assert by_path.exit_code == 0 and by_path.output == first


def test_forms_dump__a_row_inserted_in_excel_is_one_added_line_of_the_diff(tmp_path, forms_copy):
    before = _dump(forms_copy, "pertemuan_imp", tmp_path).output
    path = forms_copy / "pertemuan_imp.xlsx"
    wb = load_workbook(path)
    ws = wb["survey"]
    headers = [c.value for c in ws[1]]
    names = [ws.cell(row=r, column=headers.index("name") + 1).value for r in range(1, 40)]
    at = names.index("topik") + 2  # the Excel row after `topik`
    ws.insert_rows(at)
    ws.cell(row=at, column=headers.index("type") + 1, value="text")
    ws.cell(row=at, column=headers.index("name") + 1, value="catatan")
    ws.cell(row=at, column=headers.index("label::Indonesian (id)") + 1, value="Catatan")
    ws.cell(row=at, column=headers.index("label::English (en)") + 1, value="Notes")
    wb.save(path)
    after = _dump(forms_copy, "pertemuan_imp", tmp_path).output
    changed = [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changed == ["+text\tcatatan\tCatatan\tNotes"]


def test_forms_dump__other_sheets_follow_settings_and_cells_are_escaped(tmp_path):
    wb = Workbook()
    notes = wb.active
    notes.title = "catatan"
    notes.append(["baris", "satu"])
    wb.create_sheet("settings").append(["form_id", "version"])
    wb["settings"].append(["uji", 2026110101])
    survey = wb.create_sheet("survey")
    survey.append(["type", "name", "label", None, None])
    survey.append([])
    survey.append(["note", "n1", "tab\there\nand a line", None, ""])
    survey.append([None, None, 1.0, 2.5, True])
    survey.append([])
    survey.append([])
    wb.create_sheet("choices").append(["list_name", "name"])
    wb.save(tmp_path / "uji.xlsx")
    result = _dump(tmp_path, "uji", tmp_path)
    assert result.exit_code == 0, result.output
    assert result.output == (
        "[survey]\n"
        "type\tname\tlabel\n"
        "\n"
        "note\tn1\ttab\\there\\nand a line\n"
        "\t\t1\t2.5\tTRUE\n"
        "\n"
        "[choices]\n"
        "list_name\tname\n"
        "\n"
        "[settings]\n"
        "form_id\tversion\n"
        "uji\t2026110101\n"
        "\n"
        "[catatan]\n"
        "baris\tsatu\n"
    )


def test_forms_dump__unknown_form_is_one_line_naming_the_forms_dir_and_exit_2(tmp_path):
    result = _dump(FORMS_DIR, "keluarga", tmp_path)
    assert result.exit_code == 2
    (line,) = result.output.splitlines()
    assert "keluarga" in line and str(FORMS_DIR) in line
