"""Scoring periods: months ("2026-10") and quarters ("2026-Q4")."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

from core.domain.scoring.errors import PeriodError

PERIOD_KINDS = ("month", "quarter")
_MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
_QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$")


def period_kind(period: str) -> str:
    """Return "month" or "quarter" for a period string, or raise PeriodError."""
    if _MONTH_RE.match(period):
        return "month"
    if _QUARTER_RE.match(period):
        return "quarter"
    raise PeriodError(f"period {period!r} is neither 'YYYY-MM' nor 'YYYY-Qn'")


def period_of(day: date, kind: str = "month") -> str:
    """Return the period of `kind` ("month" or "quarter") that contains `day`."""
    if kind == "month":
        return f"{day.year:04d}-{day.month:02d}"
    if kind == "quarter":
        return f"{day.year:04d}-Q{(day.month - 1) // 3 + 1}"
    raise PeriodError(f"period kind {kind!r} is not one of {', '.join(PERIOD_KINDS)}")


def period_months(period: str) -> list[str]:
    """Return the "YYYY-MM" months a period covers, in order."""
    if m := _MONTH_RE.match(period):
        return [period]
    if m := _QUARTER_RE.match(period):
        year, quarter = int(m.group(1)), int(m.group(2))
        first = 3 * (quarter - 1) + 1
        return [f"{year:04d}-{month:02d}" for month in range(first, first + 3)]
    raise PeriodError(f"period {period!r} is neither 'YYYY-MM' nor 'YYYY-Qn'")


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
