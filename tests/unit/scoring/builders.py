"""Builders for scoring facts: realistic submissions, overridable field by field.

Every builder takes `**overrides`; an override of None removes the answer (as when a question was
skipped), so tests can say exactly what differs from a well-filled form.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from core.domain.facts import Facts

IMP = "3277011001-PPKBD-01"
SUB_IMP = "3277011001-SUB-03"
DESA = "32.77.01.1001"
ROOT = Path(__file__).resolve().parents[3]
RULES_DIR = ROOT / "config" / "rules"

_ids = itertools.count(1001)


def utc(year: int, month: int, day: int, hour: int = 3, minute: int = 0, second: int = 0):
    """An aware UTC datetime (03:00 UTC = 10:00 WIB by default)."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def _facts(
    form: str,
    values: dict[str, Any],
    overrides: dict[str, Any],
    submission_id: int | None,
    submitted_at: datetime | None,
    default_time: datetime,
) -> Facts:
    values = dict(values)
    for key, value in overrides.items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    sid = submission_id if submission_id is not None else next(_ids)
    return Facts(
        form=form,
        submission_id=sid,
        submitted_at=submitted_at or default_time,
        values=values,
        instance_id=f"uuid:{form}-{sid}",
    )


def make_meeting(
    tgl: date = date(2026, 10, 6),
    *,
    submission_id: int | None = None,
    submitted_at: datetime | None = None,
    **overrides: Any,
) -> Facts:
    """A pertemuan_imp report: a coordination meeting with work plan, minutes and follow-up."""
    values = {
        "desa": DESA,
        "imp": IMP,
        "tgl_pertemuan": tgl,
        "jenis_pertemuan": "rakor",
        "hadir_perempuan": 9,
        "hadir_laki": 2,
        "ada_rencana_kerja": "ya",
        "ada_notulen": "ya",
        "tindak_lanjut_lalu": "ya",
    }
    sent = datetime.combine(tgl, datetime.min.time(), UTC) + timedelta(hours=8)
    return _facts("pertemuan_imp", values, overrides, submission_id, submitted_at, sent)


def make_kie(
    jenis: str = "kie_kelompok",
    tgl: date = date(2026, 10, 12),
    *,
    submission_id: int | None = None,
    submitted_at: datetime | None = None,
    **overrides: Any,
) -> Facts:
    """A kie_konseling report of one activity (group KIE for PUS by default)."""
    values = {
        "desa": DESA,
        "imp": IMP,
        "tgl_kegiatan": tgl,
        "jenis_kegiatan": jenis,
        "sasaran": ["pus", "ibu_hamil"],
        "jumlah_perempuan": 14,
        "jumlah_laki": 3,
        "jumlah_rujukan": 0,
        "peserta_kb_baru": 1,
        "pelayanan_ulang": 0,
    }
    sent = datetime.combine(tgl, datetime.min.time(), UTC) + timedelta(hours=9)
    return _facts("kie_konseling", values, overrides, submission_id, submitted_at, sent)


def make_kie_set(tgl: date = date(2026, 10, 12), imp: str = IMP) -> list[Facts]:
    """One activity of every kind: individual, group and mass KIE plus counselling."""
    kinds = ("kie_individu", "kie_kelompok", "kie_massa", "konseling")
    return [make_kie(kind, tgl + timedelta(days=i), imp=imp) for i, kind in enumerate(kinds)]


def make_profile(
    periode: str = "2026-10",
    *,
    submission_id: int | None = None,
    submitted_at: datetime | None = None,
    **overrides: Any,
) -> Facts:
    """A profil_imp of a well-organised PPKBD (collective board, sections, SK, two efforts)."""
    values = {
        "desa": DESA,
        "imp": IMP,
        "periode": periode,
        "kepengurusan": "kolektif",
        "pembagian_tugas_tertulis": "ya",
        "ada_seksi": "ya",
        "ada_sk": "ya",
        "upaya_kemandirian": ["iuran_anggota", "sekretariat"],
        "poktan": ["bkb", "bkr", "uppka"],
        "ada_peta_sasaran": "ya",
    }
    year, month = int(periode[:4]), int(periode[5:7])
    return _facts(
        "profil_imp", values, overrides, submission_id, submitted_at, utc(year, month, 20)
    )


def make_report(
    periode: str = "2026-10",
    *,
    submission_id: int | None = None,
    submitted_at: datetime | None = None,
    **overrides: Any,
) -> Facts:
    """A laporan_bulanan_imp for a month, submitted on the 3rd of the next month (on time)."""
    values = {
        "desa": DESA,
        "imp": IMP,
        "periode": periode,
        "jumlah_kelompok": 4,
        "jumlah_anggota": 61,
        "peserta_kb_aktif": 212,
        "jumlah_pelayanan_ulang": 37,
        "jumlah_rujukan": 2,
        "pertemuan_poktan": 3,
    }
    year, month = int(periode[:4]), int(periode[5:7])
    next_month = utc(year + month // 12, month % 12 + 1, 3)
    return _facts("laporan_bulanan_imp", values, overrides, submission_id, submitted_at, next_month)


def mandiri_month(month: str = "2026-10") -> list[Facts]:
    """Every submission a PPKBD needs for Mandiri in every role for one month."""
    year, mon = int(month[:4]), int(month[5:7])
    return [
        make_profile(month),
        make_meeting(date(year, mon, 6)),
        *make_kie_set(date(year, mon, 12)),
        make_report(month),
    ]


def make_child(**overrides: Any) -> dict[str, Any]:
    """One anak repeat entry: a boy measured standing at 3 years, normal height."""
    values = {
        "jk": "l",
        "tgl_lahir_anak": date(2023, 9, 1),
        "tgl_ukur": date(2026, 10, 1),
        "tinggi_cm": 96.0,
        "cara_ukur": "berdiri",
        "berat_kg": 14.2,
    }
    for key, value in overrides.items():
        if value is None:
            values.pop(key, None)
        else:
            values[key] = value
    return values


SURVEY_DAY = date(2026, 10, 1)
# The baseline family's youngest child (make_child's birth date).
YOUNGEST = date(2023, 9, 1)


def make_family(
    *,
    submission_id: int | None = None,
    submitted_at: datetime | None = None,
    **overrides: Any,
) -> Facts:
    """A keluarga_risiko survey of a target family with no risk factor.

    Wife aged 30 on the survey day (PUS), two children, the youngest 3 years old, using the pill,
    piped water, latrine with septic tank, 54 m2 for 4 people, decile 6, mother finished SMA.
    """
    values = {
        "desa": DESA,
        "rw": "004",
        "rt": "002",
        "no_kk": "3277011204150007",
        "today": SURVEY_DAY,
        "tgl_lahir_istri": date(1996, 3, 14),
        "jumlah_anak_hidup": 2,
        "tgl_lahir_anak_bungsu": date(2023, 9, 1),
        "hamil": "tidak",
        "kb_metode": "pil",
        "sumber_air": "ledeng",
        "jamban": "septik",
        "luas_lantai_m2": 54.0,
        "jumlah_penghuni": 4,
        "atap_layak": "ya",
        "dinding_layak": "ya",
        "lantai_layak": "ya",
        "pendidikan_ibu": "sma",
        "desil_kesejahteraan": 6,
        "anak": [make_child()],
    }
    return _facts(
        "keluarga_risiko", values, overrides, submission_id, submitted_at, utc(2026, 10, 1)
    )


def years_before(day: date, years: int, days: int = 0) -> date:
    """The date `years` calendar years before `day`, minus `days` more days."""
    return day.replace(year=day.year - years) - timedelta(days=days)


def months_before(day: date, months: int) -> date:
    """The same day of the month `months` months before `day` (day must exist in that month)."""
    index = day.year * 12 + day.month - 1 - months
    return day.replace(year=index // 12, month=index % 12 + 1)


def write_modified_rules(src_name: str, dest: Path, old: str, new: str) -> Path:
    """Copy a shipped rules file with one exact text replaced; fail loudly if absent."""
    text = (RULES_DIR / src_name).read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur exactly once in {src_name}"
    dest.write_text(text.replace(old, new), encoding="utf-8")
    return dest
