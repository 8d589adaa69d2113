"""Our own XLSForm checks, reported with sheet, row and column: things pyxform lets through."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook

from core.domain.forms.contract import Contract, ContractField, FormContract
from core.domain.forms.errors import FormError

LANGUAGES = ("Indonesian (id)", "English (en)")
DEFAULT_LANGUAGE = LANGUAGES[0]
# Columns whose text a kader reads: each must exist in every language or in none.
TRANSLATED = ("label", "hint", "constraint_message", "required_message")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
CHOICE_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9_]*$")
TRUTHY = {"yes", "true", "true()", "1"}
# Question types that hold a number or a date: each needs a constraint with a message.
RANGED = {"integer", "decimal", "date"}
# Structural rows that carry no name of their own.
NAMELESS = {"end_group", "end_repeat", "end group", "end repeat", "note"}
# Each choice list's names with their Excel rows: list_name -> {name: row}.
ChoiceRows = dict[str, dict[str, int]]


@dataclass(frozen=True)
class LintProblem:
    """One problem: where it is (form file, sheet, 1-based Excel row, column) and what."""

    form: str
    sheet: str
    row: int | None
    column: str | None
    message: str

    def format(self) -> str:
        """`form sheet:row [column]: message`, the line the CLI prints."""
        where = f"{self.sheet}:{self.row}" if self.row else self.sheet
        col = f" [{self.column}]" if self.column else ""
        return f"{self.form} {where}{col}: {self.message}"


@dataclass
class Sheet:
    """A worksheet as header names and rows of stripped strings, with Excel row numbers."""

    name: str
    headers: list[str]
    rows: list[tuple[int, dict[str, str]]]


def read_sheets(path: Path) -> dict[str, Sheet]:
    """Read every worksheet of an XLSForm; empty rows are skipped, row numbers kept."""
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise
    except Exception as exc:  # openpyxl raises many types for a corrupt file
        raise FormError(f"{path.name}: not a readable .xlsx file: {exc}") from exc
    sheets: dict[str, Sheet] = {}
    try:
        for ws in wb.worksheets:
            it = ws.iter_rows(values_only=True)
            header_row = next(it, None) or ()
            headers = [str(h).strip() if h is not None else "" for h in header_row]
            rows: list[tuple[int, dict[str, str]]] = []
            for number, values in enumerate(it, start=2):
                cells = {
                    headers[i]: str(v).strip()
                    for i, v in enumerate(values)
                    if i < len(headers) and headers[i] and v is not None and str(v).strip()
                }
                if cells:
                    rows.append((number, cells))
            sheets[ws.title] = Sheet(ws.title, headers, rows)
    finally:
        wb.close()
    return sheets


def split_type(value: str) -> tuple[str, str | None]:
    """`select_one jk` -> (`select_one`, `jk`); `begin repeat` -> (`begin_repeat`, None)."""
    parts = value.split()
    if not parts:
        return "", None
    if parts[0] in ("begin", "end") and len(parts) > 1:
        return f"{parts[0]}_{parts[1]}", None
    return parts[0], parts[1] if len(parts) > 1 else None


class _Linter:
    def __init__(self, path: Path, contract: Contract | None) -> None:
        self.path = path
        self.form = path.name
        self.contract = contract
        self.problems: list[LintProblem] = []

    def add(self, sheet: str, row: int | None, column: str | None, message: str) -> None:
        self.problems.append(LintProblem(self.form, sheet, row, column, message))

    def run(self) -> list[LintProblem]:
        try:
            sheets = read_sheets(self.path)
        except FormError as exc:
            # Reported like any other problem, so the other forms are still checked.
            self.add("workbook", None, None, str(exc).removeprefix(f"{self.path.name}: "))
            return self.problems
        for required in ("survey", "choices", "settings"):
            if required not in sheets:
                self.add(required, None, None, f"the workbook has no {required!r} sheet")
        if "survey" not in sheets or "settings" not in sheets:
            return self.problems
        choices = sheets.get("choices", Sheet("choices", [], []))
        for sheet in (sheets["survey"], choices):
            self.check_translations(sheet)
        self.check_survey_names(sheets["survey"])
        self.check_choice_names(choices)
        form_id = self.check_settings(sheets["settings"])
        if self.contract is not None and form_id in self.contract.forms:
            self.check_contract(self.contract.forms[form_id], sheets["survey"], choices)
        return self.problems

    def check_translations(self, sheet: Sheet) -> None:
        for header in sheet.headers:
            if header in TRANSLATED:
                self.add(
                    sheet.name,
                    1,
                    header,
                    f"column {header!r} has no language; use "
                    + " and ".join(f"'{header}::{lang}'" for lang in LANGUAGES),
                )
            base, sep, lang = header.partition("::")
            if sep and base in TRANSLATED and lang not in LANGUAGES:
                self.add(sheet.name, 1, header, f"unknown language {lang!r}")
        for number, cells in sheet.rows:
            for base in TRANSLATED:
                present = [lang for lang in LANGUAGES if cells.get(f"{base}::{lang}")]
                if present and len(present) < len(LANGUAGES):
                    for lang in LANGUAGES:
                        if lang not in present:
                            self.add(
                                sheet.name,
                                number,
                                f"{base}::{lang}",
                                f"{base} of {cells.get('name', '?')!r} is missing in {lang} "
                                f"(pyxform would silently show '-')",
                            )

    def check_survey_names(self, survey: Sheet) -> None:
        for number, cells in survey.rows:
            qtype, _ = split_type(cells.get("type", ""))
            name = cells.get("name", "")
            if not qtype:
                self.add("survey", number, "type", "row has no type")
                continue
            if qtype in NAMELESS and not name:
                continue
            if not NAME_RE.fullmatch(name):
                self.add("survey", number, "name", f"name {name!r} is not snake_case")
            if qtype in RANGED and not cells.get("constraint"):
                self.add("survey", number, "constraint", f"{qtype} {name!r} needs a constraint")
            if cells.get("constraint") and not any(
                cells.get(f"constraint_message::{lang}") for lang in LANGUAGES
            ):
                self.add(
                    "survey", number, "constraint_message", f"constraint of {name!r} has no message"
                )

    def check_choice_names(self, choices: Sheet) -> None:
        seen: set[tuple[str, str]] = set()
        for number, cells in choices.rows:
            list_name, name = cells.get("list_name", ""), cells.get("name", "")
            if not NAME_RE.fullmatch(list_name):
                self.add("choices", number, "list_name", f"list name {list_name!r} not snake_case")
            if not CHOICE_NAME_RE.fullmatch(name):
                self.add("choices", number, "name", f"choice name {name!r} is not snake_case")
            if (list_name, name) in seen:
                self.add("choices", number, "name", f"duplicate choice {name!r} in {list_name!r}")
            seen.add((list_name, name))

    def check_settings(self, settings: Sheet) -> str:
        if not settings.rows:
            self.add("settings", 2, None, "the settings sheet is empty")
            return self.path.stem
        number, cells = settings.rows[0]
        form_id = cells.get("form_id", "")
        if form_id != self.path.stem:
            self.add("settings", number, "form_id", f"form_id {form_id!r} must match the file name")
        if cells.get("default_language") != DEFAULT_LANGUAGE:
            self.add(
                "settings",
                number,
                "default_language",
                f"default_language must be {DEFAULT_LANGUAGE!r}",
            )
        for column in ("form_title", "instance_name"):
            if not cells.get(column):
                self.add("settings", number, column, f"{column} is missing")
        if cells.get("version"):
            self.add(
                "settings",
                number,
                "version",
                "version is stamped by `pantau forms build`; leave it empty",
            )
        return form_id or self.path.stem

    def check_contract(self, fc: FormContract, survey: Sheet, choices: Sheet) -> None:
        lists: ChoiceRows = {}
        for number, cells in choices.rows:
            lists.setdefault(cells.get("list_name", ""), {})[cells.get("name", "")] = number
        # Where each name is defined, and inside which repeat (innermost), for every row.
        found: dict[str, list[tuple[int, dict[str, str], str | None]]] = {}
        repeats: list[str | None] = []
        for number, cells in survey.rows:
            qtype, _ = split_type(cells.get("type", ""))
            name = cells.get("name", "")
            if qtype in ("end_repeat", "end_group"):
                if repeats:
                    repeats.pop()
                continue
            innermost = next((r for r in reversed(repeats) if r), None)
            if name:
                found.setdefault(name, []).append((number, cells, innermost))
            if qtype == "begin_repeat":
                repeats.append(name)
            elif qtype == "begin_group":
                repeats.append(None)
        for field in fc.fields.values():
            rows = found.get(field.name, [])
            if not rows:
                self.missing_field(fc, field, found)
                continue
            if len(rows) > 1:
                lines = ", ".join(str(n) for n, _, _ in rows)
                self.add(
                    "survey",
                    rows[1][0],
                    "name",
                    f"contract field {field.name!r} is defined more than once (rows {lines})",
                )
            number, cells, repeat = rows[0]
            self.check_field(field, number, cells, repeat, lists)

    def missing_field(
        self,
        fc: FormContract,
        field: ContractField,
        found: dict[str, list[tuple[int, dict[str, str], str | None]]],
    ) -> None:
        """Point at the likely renamed row, or say there is none rather than guess."""
        # A rename keeps the question's type and cannot be another contract field: without
        # that, a deleted `tgl_pertemuan` "looked renamed" to its group `pertemuan`.
        expected = "begin_repeat" if field.type == "repeat" else field.type
        candidates = [
            name
            for name, rows in found.items()
            if name not in fc.fields and split_type(rows[0][1].get("type", ""))[0] == expected
        ]
        close = difflib.get_close_matches(field.name, candidates, n=1, cutoff=0.6)
        missing = f"contract field {field.name!r} ({field.type}) is missing from the form"
        if close:
            self.add(
                "survey", found[close[0]][0][0], "name", f"{missing}; renamed to {close[0]!r}?"
            )
        else:
            self.add(
                "survey",
                None,
                "name",
                f"{missing}: no row is named {field.name!r} and no {field.type} question "
                "looks renamed from it",
            )

    def check_field(
        self,
        field: ContractField,
        number: int,
        cells: dict[str, str],
        repeat: str | None,
        lists: ChoiceRows,
    ) -> None:
        """One contract field against its survey row; a wrong type makes the rest moot."""
        qtype, arg = split_type(cells.get("type", ""))
        expected = "begin_repeat" if field.type == "repeat" else field.type
        if qtype != expected:
            self.add(
                "survey",
                number,
                "type",
                f"contract field {field.name!r} must be {field.type}, the form has {qtype!r}",
            )
            return
        self._check_field_list(field, number, arg, lists)
        if field.repeat != repeat and field.type != "repeat":
            self.add(
                "survey",
                number,
                "name",
                f"contract field {field.name!r} must be inside repeat {field.repeat!r}, "
                f"it is inside {repeat!r}",
            )
        self._check_field_required(field, number, cells)
        if (
            field.pattern
            and field.type == "text"
            and field.pattern not in cells.get("constraint", "")
        ):
            self.add(
                "survey",
                number,
                "constraint",
                f"contract field {field.name!r} needs constraint regex(., '{field.pattern}')",
            )

    def _check_field_list(
        self, field: ContractField, number: int, arg: str | None, lists: ChoiceRows
    ) -> None:
        """A select uses the contract's list, and that list offers every contract choice."""
        if field.list and arg != field.list:
            self.add(
                "survey",
                number,
                "type",
                f"contract field {field.name!r} must use list {field.list!r}, not {arg!r}",
            )
        if not field.list:
            return
        listed = lists.get(field.list, {})
        missing = [c for c in field.choices if c not in listed]
        if not missing:
            return
        if listed:
            # The list's first row: a lost choice has no row of its own to point at.
            self.add(
                "choices",
                min(listed.values()),
                "list_name",
                f"list {field.list!r}, which starts here, lacks the contract's choices {missing}",
            )
        else:
            msg = f"list {field.list!r} is not on the choices sheet (contract choices {missing})"
            self.add("survey", number, "type", msg)

    def _check_field_required(
        self, field: ContractField, number: int, cells: dict[str, str]
    ) -> None:
        """A required field is required in the form, or, for a calculate, has a formula."""
        if not field.required:
            return
        if field.type == "calculate":
            # A calculate cannot be answered; "required" means it always has a formula.
            if not cells.get("calculation"):
                self.add("survey", number, "calculation", f"{field.name!r} needs a calculation")
        elif cells.get("required", "").lower() not in TRUTHY:
            self.add(
                "survey",
                number,
                "required",
                f"contract field {field.name!r} must be required",
            )


def lint_form(path: Path, contract: Contract | None) -> list[LintProblem]:
    """Every problem in one XLSForm; empty when it is clean."""
    return _Linter(Path(path), contract).run()


def form_paths(forms_dir: Path, names: list[str] | tuple[str, ...] = ()) -> list[Path]:
    """The XLSForms to act on: the named ones (id or path), else every .xlsx in forms_dir.

    A forms directory that is missing or holds no form is an error naming PANTAU_FORMS_DIR:
    doing nothing and saying nothing would look like success.
    """
    if not names:
        if not Path(forms_dir).is_dir():
            raise FormError(f"PANTAU_FORMS_DIR={forms_dir}: no such directory")
        # `~$name.xlsx` is the lock file Excel and LibreOffice keep while a form is open.
        found = sorted(p for p in Path(forms_dir).glob("*.xlsx") if not p.name.startswith("~$"))
        if not found:
            raise FormError(f"PANTAU_FORMS_DIR={forms_dir}: no XLSForm (*.xlsx) there")
        return found
    paths = []
    for name in names:
        candidate = Path(name)
        if candidate.suffix != ".xlsx":
            candidate = Path(forms_dir) / f"{name}.xlsx"
        if not candidate.is_file():
            raise FormError(f"no such form: {name} (no file {candidate}; see PANTAU_FORMS_DIR)")
        paths.append(candidate)
    return paths
