"""Scoring periods: months ("2026-10"), quarters ("2026-Q4") and semesters ("2026-S2").

The semester is the official reporting unit up the chain; months and quarters are what a
district follows in between.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from core.domain.scoring.errors import PeriodError

PERIOD_KINDS = ("month", "quarter", "semester")
# Months in one period of each kind that is made of several months.
_SPAN = {"quarter": 3, "semester": 6}
_MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_SPAN_RE = {
    "quarter": re.compile(r"^(\d{4})-Q([1-4])$"),
    "semester": re.compile(r"^(\d{4})-S([12])$"),
}
_FORMATS = "'YYYY-MM' (month), 'YYYY-Qn' (quarter, n = 1-4) or 'YYYY-Sn' (semester, n = 1-2)"


def period_kind(period: str) -> str:
    """Return "month", "quarter" or "semester" for a period string, or raise PeriodError."""
    if _MONTH_RE.match(period):
        return "month"
    for kind, pattern in _SPAN_RE.items():
        if pattern.match(period):
            return kind
    raise PeriodError(f"period {period!r} is not {_FORMATS}")


def period_of(day: date, kind: str = "month") -> str:
    """Return the period of `kind` ("month", "quarter" or "semester") that contains `day`."""
    if kind == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if kind in _SPAN:
        letter = kind[0].upper()
        return f"{day.year:04d}-{letter}{(day.month - 1) // _SPAN[kind] + 1}"
    raise PeriodError(f"period kind {kind!r} is not one of {', '.join(PERIOD_KINDS)}")


def period_months(period: str) -> list[str]:
    """Return the "YYYY-MM" months a period covers, in order."""
    if _MONTH_RE.match(period):
        return [period]
    for kind, pattern in _SPAN_RE.items():
        if m := pattern.match(period):
            year, n, span = int(m.group(1)), int(m.group(2)), _SPAN[kind]
            first = span * (n - 1) + 1
            return [f"{year:04d}-{month:02d}" for month in range(first, first + span)]
    raise PeriodError(f"period {period!r} is not {_FORMATS}")


def month_bounds(month: str) -> tuple[date, date]:
    """Return the first and last day of a "YYYY-MM" month."""
    m = _MONTH_RE.match(month)
    if not m:
        raise PeriodError(f"month {month!r} is not 'YYYY-MM'")
    start = date(int(m.group(1)), int(m.group(2)), 1)
    return start, next_month_start(start) - timedelta(days=1)


def next_month_start(day: date) -> date:
    """Return the first day of the month after the one containing `day`."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def period_bounds(period: str) -> tuple[date, date]:
    """Return the first and last day (both inclusive) of a month or quarter."""
    months = period_months(period)
    return month_bounds(months[0])[0], month_bounds(months[-1])[1]


def report_deadline(month: str, day_of_next_month: int) -> date:
    """Return the last on-time day for a month's report: day D of the following month."""
    start, _ = month_bounds(month)
    following = next_month_start(start)
    # A D beyond the month's length (e.g. 31 in February) means its last day.
    last = next_month_start(following) - timedelta(days=1)
    return following.replace(day=min(day_of_next_month, last.day))


def local_date(moment: datetime, utc_offset_hours: float) -> date:
    """Return the calendar date of an aware datetime at a fixed UTC offset (WIB = +7)."""
    if moment.tzinfo is None:
        # Kobo's _submission_time is UTC without an offset; intake should attach it, but
        # refusing here beats silently reading it as local time.
        raise PeriodError("submitted_at must be an aware datetime (UTC)")
    return moment.astimezone(timezone(timedelta(hours=utc_offset_hours))).date()
