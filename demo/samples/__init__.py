"""A month of realistic field submissions for Kota Cimahi, as ODK Collect would send them.

`pantau demo` submits these answers so the whole pipeline has something to score. The IMP reports
(imp.py) are crafted against config/rules/imp_rubric.toml so that three PPKBD land on three
different tiers; the family surveys (families.py) against config/rules/krs.toml so that some
families are at risk of stunting and one child is stunted. Nothing here talks to a server.
"""

from __future__ import annotations

from datetime import date

from demo.samples.common import CRAFTED_TIERS, FAMILY_DESA, SampleSubmission
from demo.samples.families import family_samples
from demo.samples.imp import imp_samples

__all__ = [
    "CRAFTED_TIERS",
    "FAMILY_DESA",
    "SampleSubmission",
    "family_samples",
    "imp_samples",
    "sample_submissions",
]


def sample_submissions(today: date) -> list[SampleSubmission]:
    """Every demo submission for the month of `today` (a local date): IMP reports, then surveys."""
    return imp_samples(today) + family_samples(today)
