"""A refused form names the sheet, row and column to fix, whoever refused it."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from cli.main import main
from core.domain.forms.errors import FormBuildError, FormLintError
from core.usecases.build import build_form
from tests.conftest import pantau_env
from tests.integration.forms.conftest import EN_LABEL, ID_LABEL, edit_cell

DAY = date(2026, 11, 23)


def refusal(path: Path, contract, out_dir: Path) -> FormBuildError:
    with pytest.raises(FormBuildError) as info:
        build_form(path, contract=contract, out_dir=out_dir, today=DAY)
    return info.value


def delete_row(path: Path, sheet: str, name: str) -> int:
    """Delete the row whose `name` is name, as an admin would in Excel; return its number."""
    wb = load_workbook(path)
    ws = wb[sheet]
    name_col = [c.value for c in ws[1]].index("name") + 1
    for row in range(2, ws.max_row + 1):
        if ws.cell(row=row, column=name_col).value == name:
            ws.delete_rows(row)
            wb.save(path)
            return row
    raise AssertionError(f"no row named {name} in {path.name}:{sheet}")


@pytest.mark.parametrize(
    ("form_id", "name", "column", "expression"),
    [
        ("pertemuan_imp", "hadir_perempuan", "constraint", ". >= 0 and"),
        ("pertemuan_imp", "keputusan", "relevant", "${ada_notulen} = = 'ya'"),
        ("pertemuan_imp", "foto_notulen", "relevant", "bukan-fungsi(${ada_notulen})"),
        ("pertemuan_imp", "topik", "required", "${ada_notulen} = = 'ya'"),
        ("profil_imp", "periode", "calculation", "1 +* 2"),
    ],
)
def test_build__odk_validate_error_names_the_row_and_column_of_the_expression(
    contract, forms_copy, tmp_path, form_id, name, column, expression
):
    path = forms_copy / f"{form_id}.xlsx"
    row = edit_cell(path, "survey", name, column, expression)
    exc = refusal(path, contract, tmp_path)
    assert [(p.sheet, p.row, p.column) for p in exc.problems] == [("survey", row, column)]
    line = exc.validator_message
    assert line.startswith(f"{form_id}.xlsx survey:{row} [{column}]: invalid expression ")
    assert f'"{expression}"' in line and "(ODK Validate: " in line
    # Neither a Java object nor the name of our temporary XForm reaches the admin.
    assert "org.javarosa" not in line and "@" not in line and ".xml" not in line


def test_build__bad_instance_name_points_at_the_settings_sheet(contract, forms_copy, tmp_path):
    path = forms_copy / "pertemuan_imp.xlsx"
    wb = load_workbook(path)
    ws = wb["settings"]
    col = [c.value for c in ws[1]].index("instance_name") + 1
    ws.cell(row=2, column=col, value="concat('Pertemuan ', ${imp}")
    wb.save(path)
    exc = refusal(path, contract, tmp_path)
    assert [(p.sheet, p.row, p.column) for p in exc.problems] == [("settings", 2, "instance_name")]
    assert "Mismatched brackets" in exc.validator_message


def test_build__unknown_question_type_names_its_row(contract, forms_copy, tmp_path):
    path = forms_copy / "pertemuan_imp.xlsx"
    row = edit_cell(path, "survey", "keputusan", "type", "txet")
    exc = refusal(path, contract, tmp_path)
    assert [(p.sheet, p.row, p.column) for p in exc.problems] == [("survey", row, "type")]
    assert "'txet'" in exc.validator_message


def test_build__select_without_a_list_name_says_it_needs_one(contract, forms_copy, tmp_path):
    path = forms_copy / "pertemuan_imp.xlsx"
    row = edit_cell(path, "survey", "keputusan", "type", "select_one")
    exc = refusal(path, contract, tmp_path)
    assert [(p.sheet, p.row, p.column) for p in exc.problems] == [("survey", row, "type")]
    assert "needs a list name" in exc.validator_message


def test_build__question_without_a_label_names_its_label_cell(contract, forms_copy, tmp_path):
    path = forms_copy / "pertemuan_imp.xlsx"
    row = edit_cell(path, "survey", "keputusan", ID_LABEL, None)
    edit_cell(path, "survey", "keputusan", EN_LABEL, None)
    exc = refusal(path, contract, tmp_path)
    assert [(p.sheet, p.row, p.column) for p in exc.problems] == [("survey", row, ID_LABEL)]
    assert "'keputusan'" in exc.validator_message


def test_build__pyxform_row_is_kept_in_the_lint_style(contract, forms_copy, tmp_path):
    path = forms_copy / "pertemuan_imp.xlsx"
    row = edit_cell(path, "survey", "hadir_perempuan", "constraint", ". >= ${nosuch}")
    exc = refusal(path, contract, tmp_path)
    assert [(p.sheet, p.row, p.column) for p in exc.problems] == [("survey", row, "constraint")]
    assert exc.validator_message.startswith(f"pertemuan_imp.xlsx survey:{row} [constraint]: ")
    assert "'nosuch'" in exc.validator_message and "[row :" not in exc.validator_message


def test_lint__deleted_contract_field_is_not_blamed_on_its_group(contract, forms_copy, tmp_path):
    # `pertemuan`, the group that held it, is close in spelling but no date question.
    path = forms_copy / "pertemuan_imp.xlsx"
    delete_row(path, "survey", "tgl_pertemuan")
    with pytest.raises(FormLintError) as info:
        build_form(path, contract=contract, out_dir=tmp_path, today=DAY)
    [problem] = [p for p in info.value.problems if "'tgl_pertemuan'" in p.message]
    assert (problem.sheet, problem.row, problem.column) == ("survey", None, "name")
    assert "no row is named 'tgl_pertemuan'" in problem.message
    assert "pertemuan'?" not in problem.message


def test_lint__removed_contract_choice_points_at_its_list(contract, forms_copy, tmp_path):
    path = forms_copy / "pertemuan_imp.xlsx"
    first = edit_cell(path, "choices", "pengurus", "name", "pengurus")  # the list's first row
    delete_row(path, "choices", "monev")
    with pytest.raises(FormLintError) as info:
        build_form(path, contract=contract, out_dir=tmp_path, today=DAY)
    [problem] = info.value.problems
    assert (problem.sheet, problem.row) == ("choices", first)
    assert "'jenis_pertemuan'" in problem.message and "monev" in problem.message


def test_cli__forms_build_prints_the_row_of_an_odk_validate_error(settings, forms_copy, tmp_path):
    row = edit_cell(
        forms_copy / "pertemuan_imp.xlsx", "survey", "hadir_perempuan", "constraint", ". >= 0 and"
    )
    env = pantau_env(
        settings, PANTAU_FORMS_DIR=str(forms_copy), PANTAU_BUILD_DIR=str(tmp_path / "out")
    )
    result = CliRunner().invoke(main, ["forms", "build", "pertemuan_imp"], env=env)
    assert result.exit_code == 1
    assert f'pertemuan_imp.xlsx survey:{row} [constraint]: invalid expression ". >= 0 and"' in (
        result.output
    )
