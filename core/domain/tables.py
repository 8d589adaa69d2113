"""Lists a district keeps in Excel (IMPs, alert recipients): header checks and row-by-row checks.

Every problem of a file is found at once, each with its row number, before anything is written:
an admin fixes the file in one go instead of one error per attempt.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from core.domain.errors import PantauError

Row = TypeVar("Row")


class TableError(PantauError):
    """A list that cannot be imported; `problems` has one line per bad row."""

    bad_input = True

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def header_problems(
    header: Iterable[str], required: Sequence[str], known: Sequence[str], shown: Sequence[str]
) -> list[str]:
    """Problems with a header row: required columns missing, columns nobody reads."""
    names = [h.strip().lower() for h in header]
    expected = ",".join(shown)
    problems = []
    if missing := [c for c in required if c not in names]:
        problems.append(f"row 1: missing column(s) {', '.join(missing)}; expected {expected}")
    if unknown := [h for h in names if h and h not in known]:
        problems.append(f"row 1: unknown column(s) {', '.join(unknown)}; expected {expected}")
    return problems


def check_rows(
    rows: Iterable[tuple[int, Mapping[str, str]]],
    parse: Callable[[Mapping[str, str]], Row],
    key: Callable[[Row], Any],
    what: str,
) -> tuple[list[tuple[int, Row]], list[str]]:
    """Parse every (row number, cells); (good rows, problems), a key repeated being one."""
    problems: list[str] = []
    good: list[tuple[int, Row]] = []
    seen: dict[Any, int] = {}
    for number, cells in rows:
        try:
            row = parse(cells)
        except ValueError as exc:
            problems.append(f"row {number}: {exc}")
            continue
        if key(row) in seen:
            problems.append(f"row {number}: {what} {key(row)!r} already on row {seen[key(row)]}")
            continue
        seen[key(row)] = number
        good.append((number, row))
    return good, problems
