"""A synthetic Kota Cimahi at the district's reported scale, for `pantau demo` (see README.md).

Seeded and calendar-free: every random draw comes from one `random.Random(seed)` per part, in a
fixed order, and no draw depends on the calendar (days of a month are drawn from 1-28, ages in
days), so the same seed gives the same registry, the same counts per form and the same tiers,
KRS flags and z-scores for any year; the same seed and the same last month give byte-identical
submissions. `demo/district/README.md` documents the rules; `python -m demo.district` prints
the counts and digests.
"""

from __future__ import annotations

from pathlib import Path

SEED = 2022  # the year of the reported scale (Kota Cimahi, 2022)
KOTA = "32.77"
N_PPKBD, N_SUB_PPKBD, N_KELOMPOK_KB = 71, 320, 1_728
DISTRICT_IMPS = Path(__file__).with_name("imps.csv")
