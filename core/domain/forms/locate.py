"""pyxform's and ODK Validate's refusals mapped back to the workbook's sheet, row and column.

Both tools speak of the XForm, not of the spreadsheet the admin edits: pyxform names a row for
only some of its errors, and ODK Validate names a question by the last segment of its path
(`${name}`, as pyxform's error cleaner rewrites it), wrapped in Java object names and the name of
our temporary file. Each refusal becomes a `LintProblem`, printed like our own lint; where no row
can be matched the problem says so instead of pointing at a wrong one.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from core.domain.forms.lint import LANGUAGES, LintProblem, Sheet, split_type

# Columns holding an XPath expression, in the order a question is usually read.
EXPRESSION_COLUMNS = (
    "relevant",
    "required",
    "constraint",
    "calculation",
    "read_only",
    "choice_filter",
    "default",
    "trigger",
    "repeat_count",
)
# The word ODK Validate (JavaRosa) uses for an expression, and the XLSForm column it comes from;
# "condition" alone (relevant, required or read_only) is resolved by reading the row.
ODK_KINDS = {
    "constraint": "constraint",
    "calculate": "calculation",
    "recalculate": "calculation",
    "display": "relevant",
    "relevant": "relevant",
    "require": "required",
    "required": "required",
    "readonly": "read_only",
}
# Selects whose list name follows the type: alone, pyxform calls them an unknown type.
SELECT_TYPES = {"select_one", "select_multiple", "rank"}

_PYX_ROW = re.compile(r"^\[row : (\d+)\]\s*(.*)$", re.S)
_PYX_SHEET = re.compile(r"^On the '([^']+)' sheet,?\s*")
_PYX_COLUMN = re.compile(r"\bthe '([^']+)' (?:value|column)\b", re.I)
_PYX_TYPE_ROW = ("List name not in choices", "Unmatched 'begin", "Unmatched 'end", "no type")
_PYX_UNKNOWN_TYPE = re.compile(r"Unknown question type '([^']*)'")
_PYX_NO_LABEL = re.compile(r"The survey element named '([^']*)' has no label or hint")

_ODK_BIND = re.compile(
    r"bind for \$\{(?P<name>[^}]+)\} contains invalid (?P<kind>\w+) expression "
    r"\[(?P<expr>.*?)\]\s*(?P<reason>[^\n]*)"
)
_ODK_CALC = re.compile(
    r'Invalid (?P<kind>\w+) for the bind attached to "\$\{(?P<name>[^}]+)\}"\s*:\s*'
    r"(?P<reason>[^\n]*?) in expression (?P<expr>[^\n]*)"
)
# The expression may itself hold commas: the reason is what follows the last one.
_ODK_COND = re.compile(
    r"problem with (?P<kind>\w+) condition for node \[\$\{(?P<name>[^}]+)\}\] at line:\s*"
    r"(?P<expr>[^\n]*),\s*(?P<reason>[^,\n]*)"
)
_ODK_EVAL = re.compile(
    r"located in (?P<kind>\w+) expression for \$\{(?P<name>[^}]+)\}\s*\n(?P<reason>[^\n]+)"
)
_ODK_CYCLE = re.compile(
    r"Cycle detected[^\n]*\n[^\n]*involved in the loop:\s*\n(?P<names>.*)", re.S
)
_ODK_NAME = re.compile(r"\$\{([^}]+)\}")
# `org.javarosa.xpath.parser.ast.ASTNodeAbstractExpr@56ef9176` and exception class prefixes.
_JAVA_OBJECT = re.compile(r"\s*\b(?:[a-z_][\w$]*\.)+[A-Z][\w$]*@[0-9a-f]+\b")
_JAVA_EXCEPTION = re.compile(r"\b(?:[a-z_][\w$]*\.)+[A-Z][\w$]*(?:Exception|Error):?\s*")
_ODK_NOISE = re.compile(
    r"^(?:ODK Validate Errors:|>>.*|Result: Invalid|Caused by:.*|\.\.\. \d+ more)$"
)


def locate_pyxform(form: str, sheets: dict[str, Sheet], message: str) -> list[LintProblem]:
    """The refusal of pyxform at its sheet, row and column: its own row, or one found by value."""
    text = " ".join(message.split())
    survey = sheets.get("survey", Sheet("survey", [], []))
    if m := _PYX_ROW.match(text):
        rest = m[2]
        sheet_m = _PYX_SHEET.match(rest)
        sheet = sheet_m[1] if sheet_m else "survey"
        rest = rest[sheet_m.end() :] if sheet_m else rest
        rest = rest[:1].upper() + rest[1:]
        column = _pyxform_column(rest, sheets.get(sheet))
        return [LintProblem(form, sheet, int(m[1]), column, f"{rest} (pyxform)")]
    if m := _PYX_UNKNOWN_TYPE.search(text):
        qtype = m[1]
        if qtype in SELECT_TYPES:
            what = f"{qtype} needs a list name from the choices sheet, e.g. '{qtype} <list_name>'"
        else:
            what = f"unknown question type {qtype!r}"
        rows = [n for n, cells in survey.rows if cells.get("type") == qtype] or [
            n for n, cells in survey.rows if split_type(cells.get("type", ""))[0] == qtype
        ]
        return _at_rows(
            form, "survey", rows, "type", f"{what} (pyxform: {text})", f"of type {qtype!r}"
        )
    if m := _PYX_NO_LABEL.search(text):
        name = m[1]
        label = _label_column(survey)
        rows = _rows_named(survey, name, lambda cells: not cells.get(label))
        return _at_rows(
            form,
            "survey",
            rows,
            label,
            f"{name!r} has no label (pyxform: {text})",
            f"named {name!r}",
        )
    return [_unplaced(form, f"pyxform: {text}")]


def locate_odk_validate(form: str, sheets: dict[str, Sheet], message: str) -> list[LintProblem]:
    """ODK Validate's refusal at the row of the question it names, without the Java noise."""
    text = clean_odk_message(message)
    survey = sheets.get("survey", Sheet("survey", [], []))
    if m := _ODK_CYCLE.search(text):
        names = _ODK_NAME.findall(m["names"])
        first = text.splitlines()[0]
        problems: list[LintProblem] = []
        for name in names:
            others = ", ".join(f"${{{n}}}" for n in names if n != name)
            what = "part of a cycle in relevant and calculation logic" + (
                f" with {others}" if others else ""
            )
            rows = _rows_named(survey, name)
            problems += _at_rows(
                form, "survey", rows, None, f"{what} (ODK Validate: {first})", f"named {name!r}"
            )
        if problems:
            return problems
    for pattern, phrase in (
        (_ODK_BIND, "invalid {kind} expression"),
        (_ODK_CALC, "invalid {kind}"),
        (_ODK_COND, "problem with {kind} condition"),
        (_ODK_EVAL, ""),
    ):
        if m := pattern.search(text):
            reason = _reason(phrase.format(kind=m["kind"]), m["reason"])
            expr = m.groupdict().get("expr") or ""
            return [_expression_problem(form, sheets, m["name"], m["kind"], expr, reason)]
    flat = " ".join(text.split())
    if m := _ODK_NAME.search(text):
        rows = _rows_named(survey, m[1])
        return _at_rows(form, "survey", rows, None, f"ODK Validate: {flat}", f"named {m[1]!r}")
    return [_unplaced(form, f"ODK Validate: {flat}")]


def clean_odk_message(message: str) -> str:
    """ODK Validate's message without headers, Java object names and our temp file's name."""
    lines: list[str] = []
    for raw in message.splitlines():
        line = _JAVA_EXCEPTION.sub("", _JAVA_OBJECT.sub("", raw)).strip().removeprefix(": ")
        if line.startswith("The following files failed validation"):
            break  # only our temporary file follows
        if line and not _ODK_NOISE.match(line) and (not lines or lines[-1] != line):
            lines.append(line)
    return "\n".join(lines)


def _expression_problem(
    form: str, sheets: dict[str, Sheet], name: str, kind: str, expr: str, reason: str
) -> LintProblem:
    """A bad expression of question `name`: its row, its column, and the cell as typed."""
    survey = sheets.get("survey", Sheet("survey", [], []))
    column = ODK_KINDS.get(kind.lower())
    expr = " ".join(expr.split())
    if name == "instanceName" and not _rows_named(survey, name):
        # pyxform turns settings.instance_name into a calculate of a meta node of that name.
        settings = sheets.get("settings", Sheet("settings", [], []))
        number, cells = settings.rows[0] if settings.rows else (2, {})
        typed = cells.get("instance_name") or expr
        return LintProblem(
            form, "settings", number, "instance_name", f'invalid expression "{typed}"{reason}'
        )
    rows = _rows_named(survey, name, lambda cells: not column or bool(cells.get(column)))
    if len(rows) == 1:
        cells = dict(next(c for n, c in survey.rows if n == rows[0]))
        column = column or _column_holding(cells, expr, reason)
        typed = cells.get(column, expr) if column else expr
        what = f'invalid expression "{typed}" of {name!r}' if typed else f"invalid {name!r}"
        return LintProblem(form, "survey", rows[0], column, what + reason)
    return _at_rows(
        form, "survey", rows, column, f'invalid expression "{expr}"{reason}', f"named {name!r}"
    )[0]


def _column_holding(cells: dict[str, str], expr: str, reason: str) -> str | None:
    """The one expression column of a row holding expr (or the name quoted in the reason)."""
    needles = [re.sub(r"\s+", "", expr)] if expr else []
    needles += [q for q in re.findall(r"'([^']+)'", reason) if q]
    for needle in needles:
        holding = [c for c in EXPRESSION_COLUMNS if needle in re.sub(r"\s+", "", cells.get(c, ""))]
        if len(holding) == 1:
            return holding[0]
    return None


def _reason(phrase: str, detail: str) -> str:
    """` (ODK Validate: phrase, detail)`; JavaRosa's `null` detail says nothing, so it goes."""
    detail = detail.strip(" !:,.")
    if detail.lower() == "null":
        detail = ""
    return f" (ODK Validate: {', '.join(p for p in (phrase, detail) if p)})"


def _rows_named(
    survey: Sheet, name: str, fits: Callable[[dict[str, str]], bool] | None = None
) -> list[int]:
    """Survey rows named name; when several are, the one that fits (e.g. holds the bad column)."""
    rows = [(n, cells) for n, cells in survey.rows if cells.get("name") == name]
    fitting = [n for n, cells in rows if fits is None or fits(cells)]
    return fitting if len(rows) > 1 and len(fitting) == 1 else [n for n, _ in rows]


def _at_rows(
    form: str, sheet: str, rows: list[int], column: str | None, message: str, what: str
) -> list[LintProblem]:
    """The problem at its one row; with none or several, say the row is unknown and why."""
    if len(rows) == 1:
        return [LintProblem(form, sheet, rows[0], column, message)]
    if rows:
        listed = ", ".join(str(n) for n in rows)
        why = f"row unknown: rows {listed} are {what}"
    else:
        why = f"row unknown: no row of the {sheet} sheet is {what}"
    return [LintProblem(form, sheet, None, column, f"{message} ({why})")]


def _unplaced(form: str, message: str) -> LintProblem:
    """A refusal that names nothing we can find in the workbook."""
    return LintProblem(form, "workbook", None, None, f"{message} (row unknown)")


def _pyxform_column(message: str, sheet: Sheet | None) -> str | None:
    """The column a row-carrying pyxform message is about, as the sheet's header spells it."""
    if message.startswith(_PYX_TYPE_ROW) or "no type" in message:
        return "type"
    if message.startswith("Missing calculation"):
        return "calculation"
    m = _PYX_COLUMN.search(message)
    if not m:
        return None
    headers = sheet.headers if sheet else []
    if m[1] in headers:
        return m[1]
    # pyxform says 'label' for the translated `label::Indonesian (id)` columns.
    return next((h for h in headers if h.startswith(f"{m[1]}::")), m[1])


def _label_column(survey: Sheet) -> str:
    """The default language's label column, or plain `label` in an untranslated form."""
    for header in (f"label::{LANGUAGES[0]}", "label"):
        if header in survey.headers:
            return header
    return f"label::{LANGUAGES[0]}"
