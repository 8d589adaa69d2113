from __future__ import annotations

import hashlib

import pytest
from click.testing import CliRunner

from cli.main import main
from core.domain.forms.lint import lint_form
from tests.conftest import KEY_ENV
from tests.integration.forms.conftest import EN_LABEL, FORM_IDS, FORMS_DIR, edit_cell


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_lint__each_committed_form_is_clean(form_id, contract):
    assert lint_form(FORMS_DIR / f"{form_id}.xlsx", contract) == []


def test_lint__missing_english_label_names_sheet_row_and_column(forms_copy, contract):
    path = forms_copy / "pertemuan_imp.xlsx"
    row = edit_cell(path, "survey", "hadir_laki", EN_LABEL, None)
    problems = lint_form(path, contract)
    assert [(p.sheet, p.row, p.column) for p in problems] == [("survey", row, EN_LABEL)]
    assert "hadir_laki" in problems[0].message
    assert problems[0].format().startswith(f"pertemuan_imp.xlsx survey:{row} ")


def test_lint__missing_translation_in_choices_and_messages(forms_copy, contract):
    path = forms_copy / "keluarga_risiko.xlsx"
    row = edit_cell(path, "survey", "tinggi_cm", "constraint_message::English (en)", None)
    problems = lint_form(path, contract)
    assert [(p.sheet, p.row, p.column) for p in problems] == [
        ("survey", row, "constraint_message::English (en)")
    ]


def test_lint__renamed_contract_field_points_at_the_renamed_row(forms_copy, contract):
    path = forms_copy / "pertemuan_imp.xlsx"
    row = edit_cell(path, "survey", "tgl_pertemuan", "name", "tanggal_pertemuan")
    problems = lint_form(path, contract)
    assert len(problems) == 1
    assert (problems[0].sheet, problems[0].row) == ("survey", row)
    assert "'tgl_pertemuan'" in problems[0].message and "tanggal_pertemuan" in problems[0].message


def test_lint__contract_type_list_required_and_repeat_are_checked(forms_copy, contract):
    path = forms_copy / "keluarga_risiko.xlsx"
    type_row = edit_cell(path, "survey", "jumlah_anak_hidup", "type", "decimal")
    req_row = edit_cell(path, "survey", "sumber_air", "required", None)
    list_row = edit_cell(path, "survey", "jamban", "type", "select_one ya_tidak")
    problems = {(p.row, p.column) for p in lint_form(path, contract)}
    assert (type_row, "type") in problems
    assert (req_row, "required") in problems
    assert (list_row, "type") in problems


def test_lint__contract_choice_removed_is_reported(forms_copy, contract):
    path = forms_copy / "keluarga_risiko.xlsx"
    edit_cell(path, "choices", "mata_air_terlindung", "name", "mata_air_aman")
    messages = [p.message for p in lint_form(path, contract)]
    assert any("mata_air_terlindung" in m for m in messages), messages


def test_lint__bad_names_and_hand_edited_version(forms_copy, contract):
    path = forms_copy / "profil_imp.xlsx"
    row = edit_cell(path, "survey", "jumlah_pengurus", "name", "JumlahPengurus")
    from openpyxl import load_workbook

    wb = load_workbook(path)
    ws = wb["settings"]
    col = [c.value for c in ws[1]].index("version") + 1
    ws.cell(row=2, column=col, value="2026010101")
    wb.save(path)
    problems = {(p.sheet, p.row, p.column) for p in lint_form(path, contract)}
    assert ("survey", row, "name") in problems
    assert ("settings", 2, "version") in problems


def test_cli__forms_lint_exits_1_on_a_renamed_contract_field(forms_copy, tmp_path):
    path = forms_copy / "kie_konseling.xlsx"
    before = hashlib.sha256((FORMS_DIR / "kie_konseling.xlsx").read_bytes()).hexdigest()
    row = edit_cell(path, "survey", "jumlah_rujukan", "name", "jml_rujukan")
    env = {**KEY_ENV, "PANTAU_FORMS_DIR": str(forms_copy), "PANTAU_VAR_DIR": str(tmp_path / "var")}
    result = CliRunner().invoke(main, ["forms", "lint", "kie_konseling"], env=env)
    assert result.exit_code == 1, result.output
    assert f"kie_konseling.xlsx survey:{row} [name]" in result.output
    assert "'jumlah_rujukan'" in result.output
    # The committed form is untouched.
    assert hashlib.sha256((FORMS_DIR / "kie_konseling.xlsx").read_bytes()).hexdigest() == before


def test_cli__forms_lint_passes_on_the_committed_forms(tmp_path):
    env = {**KEY_ENV, "PANTAU_FORMS_DIR": str(FORMS_DIR), "PANTAU_VAR_DIR": str(tmp_path / "var")}
    result = CliRunner().invoke(main, ["forms", "lint"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.count(": ok") == 5
