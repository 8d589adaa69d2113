"""Births too close (`jarak_terlalu_dekat`): the spacing between two births, explained.

Two births are judged: the youngest child's and the one before it; or, when the wife is
pregnant, the youngest child's and the expected delivery. A first child (or a first pregnancy)
is never too close, and a baby with no sibling and no pregnancy is not a risk by itself. When a
date is missing nothing is flagged, and the details say what was missing.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from typing import Any

from core.domain.scoring.families.answers import age_months, as_date, as_number, iso_date
from core.domain.scoring.families.rules import KrsRules

STATED_YOUNGEST = "tgl_lahir_anak_bungsu"
STATED_ELDER = "tgl_lahir_anak_sebelum_bungsu"
REPEAT = "anak"
PREGNANCY = "usia_kehamilan_bulan"
# A pregnancy runs nine months: the delivery is expected (9 - months pregnant) after the survey.
TERM_MONTHS = 9

Texts = tuple[str, str]


@dataclass(frozen=True)
class Births:
    """The youngest child's birth, and the two births whose spacing is judged when not pregnant.

    `pair` is (earlier, later): the stated birth before the youngest and the youngest, or, when
    that answer is absent, the two youngest birth dates of the anak repeat.
    """

    youngest: date | None
    youngest_source: str | None
    pair: tuple[date, date] | None = None
    pair_source: str | None = None
    stated_elder: date | None = None
    # Why the stated birth before the youngest was not used ("" when it was, or was absent).
    ignored: Texts = ("", "")


def known_births(values: dict[str, Any], repeat: list[date], on: date) -> Births:
    """Find the births that matter from the answers and the anak repeat (dates up to `on`)."""
    stated = as_date(values.get(STATED_YOUNGEST))
    stated = stated if stated and stated <= on else None
    # Twins share a date: one birth.
    distinct = sorted({d for d in repeat if d <= on}, reverse=True)
    youngest = max([d for d in (stated, *distinct[:1]) if d], default=None)
    if youngest is None:
        return Births(None, None)
    source = STATED_YOUNGEST if stated == youngest else REPEAT
    elder = as_date(values.get(STATED_ELDER))
    ignored: Texts = ("", "")
    if elder is not None and (elder > on or elder > youngest):
        # The form refuses both; an answer that got through anyway is not evidence.
        why = (
            ("di masa depan", "in the future")
            if elder > on
            else ("setelah kelahiran si bungsu", "after the youngest's birth")
        )
        ignored = (
            f"Jawaban {STATED_ELDER} ({elder}) diabaikan: {why[0]}.",
            f"The answer {STATED_ELDER} ({elder}) was ignored: {why[1]}.",
        )
    elif elder is not None:
        return Births(youngest, source, (elder, youngest), STATED_ELDER, elder)
    if len(distinct) >= 2:
        return Births(youngest, source, (distinct[1], distinct[0]), REPEAT, elder, ignored)
    return Births(youngest, source, None, None, elder, ignored)


def add_months(day: date, months: int) -> date:
    """Return the same day `months` calendar months later (the month's last day if shorter)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def too_close(
    values: dict[str, Any], births: Births, pregnant: bool, on: date, rules: KrsRules
) -> tuple[bool, dict[str, Any]]:
    """Judge the spacing of the two births that matter; return the flag and its details."""
    limit = rules.close_below_months
    details: dict[str, Any] = {
        "dasar": None,
        STATED_YOUNGEST: iso_date(births.youngest),
        "sumber_bungsu": births.youngest_source,
        "umur_bungsu_bulan": age_months(births.youngest, on) if births.youngest else None,
        STATED_ELDER: iso_date(births.stated_elder),
        PREGNANCY: values.get(PREGNANCY) if pregnant else None,
        "perkiraan_persalinan": None,
        "kelahiran_sebelumnya": None,
        "kelahiran_berikutnya": None,
        "sumber_jarak": None,
        "jarak_bulan": None,
        "batas_bulan": limit,
    }
    if pregnant:
        flagged, texts = _to_delivery(values, births, on, limit, details)
    else:
        flagged, texts = _between_births(values, births, limit, details)
    details["keterangan_id"] = " ".join(t for t in (births.ignored[0], texts[0]) if t)
    details["keterangan_en"] = " ".join(t for t in (births.ignored[1], texts[1]) if t)
    return flagged, details


def _verdict(months: int, limit: int) -> Texts:
    if months < limit:
        return f"kurang dari {limit} bulan, terlalu dekat.", f"under {limit} months, too close."
    return f"tidak kurang dari {limit} bulan.", f"not under {limit} months."


def _judged(details: dict[str, Any], basis: str, earlier: date, later: date, source: str) -> int:
    """Record the two dates judged and return the completed months between them."""
    months = age_months(earlier, later)
    details.update(
        {
            "dasar": basis,
            "kelahiran_sebelumnya": earlier.isoformat(),
            "kelahiran_berikutnya": later.isoformat(),
            "sumber_jarak": source,
            "jarak_bulan": months,
        }
    )
    return months


def _between_births(
    values: dict[str, Any], b: Births, limit: int, details: dict[str, Any]
) -> tuple[bool, Texts]:
    count = as_number(values.get("jumlah_anak_hidup"))
    if b.youngest is None:
        if count:
            return False, (
                "Tanggal lahir si bungsu tidak diketahui: jarak kelahiran tidak dapat dinilai.",
                "The youngest child's birth date is unknown: birth spacing cannot be judged.",
            )
        return False, (
            "Belum ada anak dan tidak hamil: tidak ada jarak kelahiran.",
            "No child and not pregnant: no birth spacing to judge.",
        )
    if b.pair is None:
        if count is not None and count >= 2:
            return False, (
                f"Tanggal lahir anak sebelum si bungsu tidak diketahui ({STATED_ELDER} tidak "
                "diisi, daftar anak tidak memuat dua tanggal lahir): jarak tidak dapat dinilai.",
                f"The birth date of the child before the youngest is unknown ({STATED_ELDER} not "
                "answered, the anak list holds no two birth dates): spacing cannot be judged.",
            )
        return False, (
            "Anak pertama (tidak ada kelahiran sebelumnya) dan tidak hamil: bukan jarak "
            "terlalu dekat.",
            "First child (no earlier birth) and not pregnant: never too close.",
        )
    earlier, later = b.pair
    if earlier == later:
        details["sumber_jarak"] = b.pair_source
        return False, (
            "Anak sebelum si bungsu lahir pada hari yang sama (kembar, satu kelahiran): jarak "
            "dengan kelahiran sebelumnya tidak diketahui.",
            "The child before the youngest was born the same day (twins, one birth): the "
            "spacing from the birth before is unknown.",
        )
    months = _judged(details, "kelahiran", earlier, later, b.pair_source or "")
    source = (
        (f"jawaban {STATED_ELDER}", f"the answer {STATED_ELDER}")
        if b.pair_source == STATED_ELDER
        else ("dua anak termuda di daftar anak", "the two youngest in the anak list")
    )
    verdict = _verdict(months, limit)
    return months < limit, (
        f"Kelahiran {later} berjarak {months} bulan dari kelahiran sebelumnya {earlier} "
        f"({source[0]}): {verdict[0]}",
        f"The birth on {later} came {months} months after the one before, on {earlier} "
        f"({source[1]}): {verdict[1]}",
    )


def _to_delivery(
    values: dict[str, Any], b: Births, on: date, limit: int, details: dict[str, Any]
) -> tuple[bool, Texts]:
    if b.youngest is None:
        if as_number(values.get("jumlah_anak_hidup")):
            return False, (
                "Istri hamil, tetapi tanggal lahir si bungsu tidak diketahui: jarak tidak dapat "
                "dinilai.",
                "The wife is pregnant but the youngest child's birth date is unknown: spacing "
                "cannot be judged.",
            )
        return False, (
            "Kehamilan pertama (belum ada anak lahir hidup): bukan jarak terlalu dekat.",
            "First pregnancy (no living child yet): never too close.",
        )
    answered = as_number(values.get(PREGNANCY))
    # The form allows 1-10 months: past term the delivery is due now. Unanswered, the latest
    # possible delivery is assumed, so a flag raised then holds whatever the true month.
    pregnant_for = min(max(int(answered), 0), TERM_MONTHS) if answered is not None else 0
    expected = add_months(on, TERM_MONTHS - pregnant_for)
    months = _judged(details, "kehamilan", b.youngest, expected, PREGNANCY)
    details["perkiraan_persalinan"] = expected.isoformat()
    if answered is None:
        how = (
            f"usia kehamilan tidak diisi: persalinan paling lambat {TERM_MONTHS} bulan lagi",
            f"months of pregnancy not answered: delivery {TERM_MONTHS} months on at the latest",
        )
    else:
        how = (
            f"hamil {answered:g} bulan: tanggal survei + {TERM_MONTHS - pregnant_for} bulan",
            f"{answered:g} months pregnant: survey date + {TERM_MONTHS - pregnant_for} months",
        )
    verdict = _verdict(months, limit)
    return months < limit, (
        f"Perkiraan persalinan {expected} ({how[0]}), {months} bulan setelah kelahiran si "
        f"bungsu {b.youngest}: {verdict[0]}",
        f"Expected delivery {expected} ({how[1]}), {months} months after the youngest's birth "
        f"on {b.youngest}: {verdict[1]}",
    )
