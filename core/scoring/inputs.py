"""The input scoring reads: one submission's typed answers, keyed by contract field name."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


@dataclass(frozen=True)
class Facts:
    """Typed answers of one submission, keyed by the field names in xlsforms/contract.toml.

    Dates are `datetime.date`, integers/decimals `int`/`float`, select_one `str`,
    select_multiple `list[str]`, `periode` a "YYYY-MM" string; missing answers are absent.
    Repeats are lists of dicts (e.g. `values["anak"]`). `submitted_at` is an aware UTC datetime.
    """

    form: str
    submission_id: int
    submitted_at: datetime
    values: dict[str, Any] = field(default_factory=dict)
    instance_id: str = ""

    def get(self, name: str, default: Any = None) -> Any:
        """Return the answer for a contract field, or `default` when it was not answered."""
        return self.values.get(name, default)

    def get_date(self, name: str) -> date | None:
        """Return a date answer, or None when absent or not a date."""
        value = self.values.get(name)
        # datetime is a date subclass; a datetime here would be an intake bug, so keep the day.
        if isinstance(value, datetime):
            return value.date()
        return value if isinstance(value, date) else None
