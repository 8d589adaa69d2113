"""Reading a survey's answers: yes/no choices, dates, numbers and ages."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

YA = "ya"
TIDAK = "tidak"


def as_date(value: Any) -> date | None:
    """Return the answer when it is a date, else None."""
    return value if isinstance(value, date) else None


def as_number(value: Any) -> float | None:
    """Return the answer as a float when it is a number (not a bool, not NaN), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return None if math.isnan(value) else float(value)


def iso_date(day: date | None) -> str | None:
    """Return a date as "YYYY-MM-DD" for JSON, or None."""
    return day.isoformat() if day else None


def age_years(born: date, on: date) -> int:
    """Return completed years between two dates."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def age_months(born: date, on: date) -> int:
    """Return completed calendar months between two dates."""
    return (on.year - born.year) * 12 + on.month - born.month - (on.day < born.day)
