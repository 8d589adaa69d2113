from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from core.domain.scoring.errors import PeriodError
from core.domain.scoring.periods import (
    local_date,
    period_bounds,
    period_kind,
    period_months,
    period_of,
    report_deadline,
)


@pytest.mark.parametrize(
    ("day", "kind", "expected"),
    [
        (date(2026, 10, 1), "month", "2026-10"),
        (date(2026, 12, 31), "month", "2026-12"),
        (date(2026, 10, 1), "quarter", "2026-Q4"),
        (date(2026, 9, 30), "quarter", "2026-Q3"),
        (date(2026, 1, 1), "quarter", "2026-Q1"),
        (date(2026, 6, 30), "semester", "2026-S1"),
        (date(2026, 7, 1), "semester", "2026-S2"),
        (date(2026, 12, 31), "semester", "2026-S2"),
    ],
)
def test_period_of__month_quarter_and_semester(day, kind, expected):
    assert period_of(day, kind) == expected
    assert period_kind(expected) == kind


def test_period_bounds__month_quarter_and_leap_february():
    assert period_bounds("2026-10") == (date(2026, 10, 1), date(2026, 10, 31))
    assert period_bounds("2026-Q4") == (date(2026, 10, 1), date(2026, 12, 31))
    assert period_bounds("2028-02") == (date(2028, 2, 1), date(2028, 2, 29))
    assert period_months("2026-Q1") == ["2026-01", "2026-02", "2026-03"]
    assert period_bounds("2026-S2") == (date(2026, 7, 1), date(2026, 12, 31))
    assert period_months("2026-S1") == [f"2026-{m:02d}" for m in range(1, 7)]


@pytest.mark.parametrize(
    "bad", ["2026-13", "2026-Q5", "26-10", "2026/10", "2026-q4", "", "2026-S3", "garbage"]
)
def test_period_parsing__rejects_malformed_periods(bad):
    with pytest.raises(PeriodError):
        period_kind(bad)
    with pytest.raises(PeriodError):
        period_bounds(bad)


def test_period_of__unknown_kind_is_an_error_naming_the_kinds():
    # (This test used "semester" as the unknown kind before semesters were added.)
    with pytest.raises(PeriodError, match="month, quarter, semester"):
        period_of(date(2026, 1, 1), "week")


def test_report_deadline__day_of_following_month_across_year_end():
    assert report_deadline("2026-10", 10) == date(2026, 11, 10)
    assert report_deadline("2026-12", 10) == date(2027, 1, 10)
    # Day 31 of a 28-day month means its last day.
    assert report_deadline("2027-01", 31) == date(2027, 2, 28)


def test_local_date__wib_day_starts_at_17_utc():
    assert local_date(datetime(2026, 11, 10, 16, 59, 59, tzinfo=UTC), 7) == date(2026, 11, 10)
    assert local_date(datetime(2026, 11, 10, 17, 0, 0, tzinfo=UTC), 7) == date(2026, 11, 11)
    # An offset given in another zone is converted, not read as written.
    wita = timezone(timedelta(hours=8))
    assert local_date(datetime(2026, 11, 11, 0, 30, tzinfo=wita), 7) == date(2026, 11, 10)


def test_local_date__naive_datetime_is_refused():
    with pytest.raises(PeriodError, match="aware"):
        local_date(datetime(2026, 11, 10, 12, 0), 7)
