"""Validator refusals mapped to rows: when the row is unknown, the problem says so."""

from __future__ import annotations

from core.domain.forms.lint import Sheet
from core.domain.forms.locate import locate_odk_validate, locate_pyxform

# ODK Validate's message as pyxform hands it over (from a real run, object hash kept).
CONSTRAINT_ERROR = """ODK Validate Errors:
>> XForm is invalid.
: bind for ${jumlah} contains invalid constraint expression [. >= 0 and] Bad node: \
org.javarosa.xpath.parser.ast.ASTNodeAbstractExpr@56ef9176

The following files failed validation:
${laporan-wkivzshr}.xml

Result: Invalid"""


def sheets(*rows: dict[str, str]) -> dict[str, Sheet]:
    headers = ["type", "name", "label::Indonesian (id)", "constraint"]
    return {"survey": Sheet("survey", headers, [(n, r) for n, r in enumerate(rows, start=2)])}


def test_odk_validate__one_row_named_gets_the_row_and_the_cell_as_typed():
    form = sheets(
        {"type": "begin_group", "name": "grup"},
        {"type": "integer", "name": "jumlah", "constraint": ". >= 0 and"},
    )
    [problem] = locate_odk_validate("laporan.xlsx", form, CONSTRAINT_ERROR)
    assert problem.format() == (
        "laporan.xlsx survey:3 [constraint]: invalid expression \". >= 0 and\" of 'jumlah' "
        "(ODK Validate: invalid constraint expression, Bad node)"
    )


def test_odk_validate__name_on_two_rows_with_the_expression_on_one_picks_that_one():
    form = sheets(
        {"type": "integer", "name": "jumlah", "constraint": ". >= 0 and"},
        {"type": "integer", "name": "jumlah"},
    )
    [problem] = locate_odk_validate("laporan.xlsx", form, CONSTRAINT_ERROR)
    assert (problem.row, problem.column) == (2, "constraint")


def test_odk_validate__name_on_several_candidate_rows_is_not_guessed():
    form = sheets(
        {"type": "integer", "name": "jumlah", "constraint": ". >= 0 and"},
        {"type": "integer", "name": "jumlah", "constraint": ". >= 0 and"},
    )
    [problem] = locate_odk_validate("laporan.xlsx", form, CONSTRAINT_ERROR)
    assert problem.row is None
    assert "row unknown: rows 2, 3 are named 'jumlah'" in problem.message


def test_odk_validate__unknown_name_says_no_row_has_it():
    [problem] = locate_odk_validate("laporan.xlsx", sheets(), CONSTRAINT_ERROR)
    assert problem.row is None
    assert "no row of the survey sheet is named 'jumlah'" in problem.message
    assert "wkivzshr" not in problem.message and "javarosa" not in problem.message


def test_odk_validate__message_naming_no_question_is_kept_without_a_row():
    message = "ODK Validate Errors:\n>> XForm is invalid.\n: Something new\n\nResult: Invalid"
    [problem] = locate_odk_validate("laporan.xlsx", sheets(), message)
    assert problem.format() == "laporan.xlsx workbook: ODK Validate: Something new (row unknown)"


def test_pyxform__unknown_type_on_no_row_says_so():
    [problem] = locate_pyxform("laporan.xlsx", sheets(), "Unknown question type 'txet'.")
    assert (problem.sheet, problem.row, problem.column) == ("survey", None, "type")
    assert "no row of the survey sheet is of type 'txet'" in problem.message


def test_pyxform__row_and_sheet_of_the_message_are_used():
    message = (
        "[row : 12] On the 'choices' sheet, the 'label' value is invalid. "
        "Choices should have a label."
    )
    [problem] = locate_pyxform("laporan.xlsx", {}, message)
    assert (problem.sheet, problem.row, problem.column) == ("choices", 12, "label")
