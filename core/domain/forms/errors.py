"""Errors of the forms toolchain: one small hierarchy, raised `from` the cause."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.domain.errors import PantauError

if TYPE_CHECKING:
    from core.domain.forms.lint import LintProblem


class FormError(PantauError):
    """Base of every error the forms toolchain raises."""

    # No such form, a malformed workbook or contract: the admin's files.
    bad_input = True


class ContractError(FormError):
    """The form contract file is missing or malformed."""


class FormLintError(FormError):
    """A form breaks our checks; carries every problem found."""

    def __init__(self, problems: list[LintProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(p.format() for p in problems))


class FormBuildError(FormError):
    """pyxform or ODK Validate refused a form; the message names the sheet and row where known.

    `problems` holds the refusal mapped back to the workbook (empty for a failure that is not
    about a row, e.g. no Java); `validator_message` is what an admin reads either way.
    """

    def __init__(
        self, form_id: str, message: str = "", problems: list[LintProblem] | None = None
    ) -> None:
        self.form_id = form_id
        self.problems = list(problems or [])
        self.validator_message = "\n".join(p.format() for p in self.problems) or message
        super().__init__(f"{form_id}: {self.validator_message}")
