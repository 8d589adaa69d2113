"""The evidence pool of one IMP for one period: its own facts, its children's, its profile."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from core.domain.facts import Facts
from core.domain.scoring.imp.forms import DATE_FIELDS, LAPORAN, PROFIL
from core.domain.scoring.imp.periods import fact_month, month_index
from core.domain.scoring.imp.rules import ImpRules

# Why a profile-based role has no evidence, for score_from_checks.
NO_PROFILE = (
    "belum ada profil IMP (profil_imp) yang berlaku",
    "no applicable IMP profile (profil_imp)",
)


@dataclass
class Context:
    """What the role scorers read: the period, the rules and the submissions to judge."""

    imp: str
    period: str
    kind: str
    months: list[str]
    rules: ImpRules
    own: list[Facts]
    children: list[Facts]
    # The registry's kind of the IMP (ppkbd, sub_ppkbd, kelompok_kb); None when unregistered.
    imp_kind: str | None = None
    _profile: Facts | None = None
    _profile_done: bool = False
    _months_of: dict[int, str | None] = field(default_factory=dict)
    # in_period() per (form, whether the role rolls up): roles ask the same of it
    _chosen: dict[tuple[str, bool], list[Facts]] = field(default_factory=dict)

    def month(self, fact: Facts) -> str | None:
        """fact_month() of a fact, worked out once per assessment.

        The six roles ask it of the same facts ~35 times per assessment; in a district's year
        that was a million calls, a sixth of the rubric's time.
        """
        key = id(fact)  # facts are not hashable (their answers are a dict)
        if key not in self._months_of:
            self._months_of[key] = fact_month(fact)
        return self._months_of[key]

    def pool(self, form: str, role: str) -> list[Facts]:
        """Facts of a form for a role: the IMP's own, plus its children's if the role rolls up."""
        facts = [f for f in self.own if f.form == form]
        if role in self.rules.rollup_roles:
            facts += [f for f in self.children if f.form == form]
        return facts

    def in_period(self, form: str, role: str) -> list[Facts]:
        """Facts of a form that report on a month of the period, in date then id order."""
        # The same answer for every role that rolls up (or not) alike: 6 questions, 3 answers.
        key = (form, role in self.rules.rollup_roles)
        if key not in self._chosen:
            self._chosen[key] = self._in_period(form, role)
        return list(self._chosen[key])  # a copy: a role may filter or sort what it got

    def _in_period(self, form: str, role: str) -> list[Facts]:
        months = set(self.months)
        chosen = [(m, f) for f in self.pool(form, role) if (m := self.month(f)) in months]
        field_name = DATE_FIELDS.get(form)

        def key(item: tuple[str, Facts]) -> tuple[Any, ...]:
            month, f = item
            day = f.get_date(field_name) if field_name else None
            return (month, day or date.min, f.submission_id)

        return [f for _, f in sorted(chosen, key=key)]

    def latest_reports(self, role: str) -> dict[str, list[Facts]]:
        """Per month, the latest report of each IMP (a resubmission corrects the earlier one)."""
        latest: dict[tuple[str, str], Facts] = {}
        for report in self.in_period(LAPORAN, role):
            key = (str(report.get("imp")), str(self.month(report)))
            best = latest.get(key)
            if best is None or (report.submitted_at, report.submission_id) > (
                best.submitted_at,
                best.submission_id,
            ):
                latest[key] = report
        by_month: dict[str, list[Facts]] = {m: [] for m in self.months}
        for (_, month), report in sorted(latest.items()):
            by_month[month].append(report)
        return by_month

    @property
    def profile(self) -> Facts | None:
        """The IMP's latest profile dated no later than the period's last month."""
        if not self._profile_done:
            last = month_index(self.months[-1])
            oldest = last - self.rules.profile_max_age_months
            candidates = [
                f
                for f in self.own
                if f.form == PROFIL
                and (m := self.month(f)) is not None
                and oldest <= month_index(m) <= last
            ]
            self._profile = max(
                candidates,
                key=lambda f: (self.month(f), f.submitted_at, f.submission_id),
                default=None,
            )
            self._profile_done = True
        return self._profile

    @property
    def profile_ids(self) -> list[int]:
        """The profile's submission id as evidence, or nothing when there is no profile."""
        return [self.profile.submission_id] if self.profile else []
