"""The whole synthetic year: the registry, every IMP's reports and the family surveys, in order."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from demo.district import SEED
from demo.district.activity import ImpActivity
from demo.district.families import FamilySurveys
from demo.district.records import Record, months_ending
from demo.district.registry import Imp, district_imps


@dataclass
class DistrictYear:
    """What the generator made for one seed and one last month."""

    seed: int
    months: list[str]
    imps: list[Imp]
    records: list[Record]  # by submission time: the order kader sent them
    classes: dict[str, Counter[str]] = field(default_factory=dict)  # kind -> habit class -> n

    def by_form(self) -> Counter[str]:
        """How many submissions of each form."""
        return Counter(r.form_id for r in self.records)


def default_end(today: date) -> str:
    """The year's last month: the one before today's (so nothing is dated in the future)."""
    first = today.replace(day=1)
    return f"{first.year - (first.month == 1)}-{(first.month - 2) % 12 + 1:02d}"


def district_year(end: str, seed: int = SEED) -> DistrictYear:
    """Generate the year of the 12 months ending with `end` ("YYYY-MM") for seed."""
    imps = district_imps(seed)
    months = months_ending(end)
    # One generator per part, so a change to the families leaves the IMP reports as they were.
    activity = ImpActivity(random.Random(f"{seed}/imp"))  # noqa: S311 - synthetic data
    years = [activity.year_of(imp) for imp in imps]
    records = [
        record
        for index, month in enumerate(months)
        for year in years
        for record in activity.month(year, month, index)
    ]
    rng = random.Random(f"{seed}/families")  # noqa: S311 - synthetic data
    records += FamilySurveys(rng, imps, months).surveys()
    records.sort(key=lambda r: (r.submitted, r.key))
    classes: dict[str, Counter[str]] = {}
    for y in years:
        classes.setdefault(y.imp.kind, Counter())[y.klass] += 1
    return DistrictYear(seed, months, imps, records, classes)


def thinned(year: DistrictYear, n: int) -> DistrictYear:
    """The same year with only n of its submissions, evenly spread over it (a reduced scale).

    Every k-th record in time order, so each month and most forms keep some; the registry and
    the habit classes stay whole.
    """
    if n >= len(year.records):
        return year
    step = len(year.records) / max(n, 1)
    records = [year.records[int(i * step)] for i in range(max(n, 0))]
    return DistrictYear(year.seed, year.months, year.imps, records, year.classes)
