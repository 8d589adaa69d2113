"""A backlog waiting on the Kobo sandbox: meeting reports and family surveys at risk."""

from __future__ import annotations

from datetime import date, timedelta

from tests.support.submissions import family_answers, meeting_answers


def meetings(count: int, imps: int) -> list[dict]:
    """count meeting reports spread over `imps` PPKBD and the days of October 2026."""
    return [
        meeting_answers(imp=f"PPKBD-{i % imps:03d}", day=date(2026, 10, 1) + timedelta(days=i % 28))
        for i in range(count)
    ]


def families(count: int, first: int) -> list[dict]:
    """count surveys, each of its own KK (from `first` on) with a stunted child: one e-mail each."""
    return [family_answers(f"3277010101{first + i:06d}") for i in range(count)]
