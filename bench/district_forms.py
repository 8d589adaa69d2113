"""Synthetic Kobo submissions for a district: one generator per form, deterministic for a seed.

Submissions are the dicts Kobo posts (answers wrapped in its system fields, docs/kobo.md),
as the webhook receives them before pseudonymisation. Every random draw goes through one seeded
generator in a fixed order, so the same seed gives the same district run after run.
"""

from __future__ import annotations

import random
import uuid
from calendar import monthrange
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

MONTH = "2026-10"
FORMS = ("pertemuan_imp", "kie_konseling", "profil_imp", "laporan_bulanan_imp", "keluarga_risiko")
# WHO 2006 medians (boys and girls averaged closely enough for synthetic data): age in months ->
# length/height cm and weight kg; interpolated linearly in between.
_MEDIAN_HEIGHT = ((0, 49.5), (12, 75.0), (24, 86.4), (36, 95.6), (48, 102.9), (60, 109.6))
_MEDIAN_WEIGHT = ((0, 3.3), (12, 9.2), (24, 11.8), (36, 14.0), (48, 16.1), (60, 18.2))


def _interp(table: tuple[tuple[int, float], ...], months: float) -> float:
    for (m0, v0), (m1, v1) in zip(table, table[1:], strict=False):
        if months <= m1:
            return v0 + (v1 - v0) * (months - m0) / (m1 - m0)
    return table[-1][1]


class SubmissionBuilder:
    """Kobo submission dicts for one district, deterministic for a seed."""

    def __init__(self, seed: int, secret: bytes) -> None:
        # Synthetic data, not security: a seeded generator keeps runs comparable.
        self.rng = random.Random(seed)  # noqa: S311
        self.secret = secret
        self.record_id = 0
        self.asset = {f: f"a{f.replace('_', '')[:10]}Bench{len(f):02d}" for f in FORMS}
        self.version = {f: f"vBench{f.replace('_', '')[:14]}" for f in FORMS}

    def envelope(self, form: str, answers: dict[str, Any], submitted: datetime) -> dict[str, Any]:
        """Answers wrapped in the system fields Kobo adds (see docs/kobo.md)."""
        self.record_id += 1
        instance = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        start = submitted - timedelta(minutes=self.rng.randint(3, 30))
        return {
            "formhub/uuid": uuid.UUID(int=self.rng.getrandbits(128)).hex,
            "start": start.isoformat(timespec="milliseconds"),
            "end": submitted.isoformat(timespec="milliseconds"),
            **answers,
            "__version__": self.version[form],
            "meta/instanceID": f"uuid:{instance}",
            "meta/rootUuid": f"uuid:{instance}",
            "_xform_id_string": self.asset[form],
            "_uuid": instance,
            "_id": self.record_id,
            "_attachments": [],
            "_status": "submitted_via_web",
            "_geolocation": [None, None],
            "_submission_time": submitted.astimezone(UTC)
            .replace(tzinfo=None)
            .isoformat("T", "seconds"),
            "_validation_status": {},
            "_submitted_by": f"kader{self.rng.randint(1, 400):03d}",
        }

    def _when(self, day: date) -> datetime:
        # Kader send from the field during the day (WIB), so 01:00-11:00 UTC.
        return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(
            minutes=self.rng.randint(60, 660)
        )

    @staticmethod
    def _where(desa: str, imp: str) -> dict[str, str]:
        return {
            "wilayah/kecamatan": desa.rsplit(".", 1)[0],
            "wilayah/desa": desa,
            "wilayah/imp": imp,
        }

    def imp_month(
        self, desa: str, imp: str, month: str = MONTH
    ) -> Iterator[tuple[str, dict[str, Any]]]:
        """One month of an IMP's reports: 0-3 meetings, 0-4 KIE, most a report and a profile."""
        # Each day is drawn before its submission's answers: the order of draws is the data.
        rng = self.rng
        first = date(int(month[:4]), int(month[5:]), 1)
        last = min(29, monthrange(first.year, first.month)[1] - 1)  # February stays February
        for _ in range(rng.choice((0, 1, 1, 1, 2, 2, 3))):
            day = first + timedelta(days=rng.randint(0, last))
            yield "pertemuan_imp", self._pertemuan(desa, imp, day)
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3, 4))):
            day = first + timedelta(days=rng.randint(0, last))
            yield "kie_konseling", self._kie(desa, imp, day)
        # The monthly report and the profile arrive in the first half of the next month.
        nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        if rng.random() < 0.9:
            day = nxt + timedelta(days=rng.randint(0, 14))
            yield "laporan_bulanan_imp", self._laporan(desa, imp, first, day)
        if rng.random() < 0.7:
            day = nxt + timedelta(days=rng.randint(0, 14))
            yield "profil_imp", self._profil(desa, imp, first, day)

    def _pertemuan(self, desa: str, imp: str, day: date) -> dict[str, Any]:
        rng = self.rng
        return self.envelope(
            "pertemuan_imp",
            {
                "today": day.isoformat(),
                **self._where(desa, imp),
                "pertemuan/tgl_pertemuan": day.isoformat(),
                "pertemuan/jenis_pertemuan": rng.choice(
                    ("pengurus", "rakor", "pembinaan_poktan", "monev")
                ),
                "pertemuan/hadir_perempuan": str(rng.randint(3, 25)),
                "pertemuan/hadir_laki": str(rng.randint(0, 8)),
                "pertemuan/ada_rencana_kerja": "ya" if rng.random() < 0.8 else "tidak",
                "pertemuan/ada_notulen": "ya" if rng.random() < 0.75 else "tidak",
                "pertemuan/topik": "Persiapan pelayanan KB bulan depan",
                "pertemuan/tindak_lanjut_lalu": rng.choice(
                    ("ya", "ya", "sebagian", "tidak", "tidak_ada")
                ),
            },
            self._when(day),
        )

    def _kie(self, desa: str, imp: str, day: date) -> dict[str, Any]:
        rng = self.rng
        return self.envelope(
            "kie_konseling",
            {
                "today": day.isoformat(),
                **self._where(desa, imp),
                "kegiatan/tgl_kegiatan": day.isoformat(),
                "kegiatan/jenis_kegiatan": rng.choice(
                    ("kie_individu", "kie_kelompok", "kie_massa", "konseling")
                ),
                "kegiatan/sasaran": " ".join(
                    rng.sample(("pus", "catin", "ibu_hamil", "remaja", "ortu_balita"), 2)
                ),
                "kegiatan/jumlah_perempuan": str(rng.randint(1, 40)),
                "kegiatan/jumlah_laki": str(rng.randint(0, 10)),
                "kegiatan/topik": "kb_pasca_persalinan",
                "hasil/jumlah_rujukan": str(rng.randint(0, 3)),
                "hasil/peserta_kb_baru": str(rng.randint(0, 4)),
                "hasil/pelayanan_ulang": str(rng.randint(0, 12)),
            },
            self._when(day),
        )

    def _laporan(self, desa: str, imp: str, first: date, day: date) -> dict[str, Any]:
        rng = self.rng
        return self.envelope(
            "laporan_bulanan_imp",
            {
                "today": day.isoformat(),
                **self._where(desa, imp),
                "bulan": first.isoformat(),
                "periode": first.strftime("%Y-%m"),
                "kelembagaan/jumlah_kelompok": str(rng.randint(1, 12)),
                "kelembagaan/jumlah_anggota": str(rng.randint(10, 120)),
                "pelayanan/peserta_kb_aktif": str(rng.randint(20, 400)),
                "pelayanan/jumlah_pelayanan_ulang": str(rng.randint(0, 60)),
                "pelayanan/jumlah_rujukan": str(rng.randint(0, 5)),
                "pelayanan/pertemuan_poktan": str(rng.randint(0, 6)),
            },
            self._when(day),
        )

    def _profil(self, desa: str, imp: str, first: date, day: date) -> dict[str, Any]:
        rng = self.rng
        return self.envelope(
            "profil_imp",
            {
                "today": day.isoformat(),
                **self._where(desa, imp),
                "bulan": first.isoformat(),
                "periode": first.strftime("%Y-%m"),
                "organisasi/kepengurusan": rng.choice(("tunggal", "kolektif", "kolektif")),
                "organisasi/pembagian_tugas_tertulis": rng.choice(("ya", "ya", "tidak")),
                "organisasi/ada_seksi": rng.choice(("ya", "tidak")),
                "organisasi/ada_sk": rng.choice(("ya", "ya", "tidak")),
                "kemandirian/upaya_kemandirian": " ".join(
                    rng.sample(("iuran_anggota", "dana_sehat", "kas_arisan", "sekretariat"), 2)
                ),
                "kemandirian/poktan": " ".join(rng.sample(("bkb", "bkr", "bkl", "uppka"), 3)),
                "kemandirian/ada_peta_sasaran": rng.choice(("ya", "tidak")),
            },
            self._when(day),
        )

    def family(self, n: int, desa: str) -> dict[str, Any]:
        """One keluarga_risiko survey in MONTH with 0-3 under-fives, realistic heights."""
        rng = self.rng
        survey = date(int(MONTH[:4]), int(MONTH[5:]), 1) + timedelta(days=rng.randint(0, 30))
        wife_born = survey - timedelta(days=rng.randint(17 * 365, 48 * 365))
        kids = rng.choice((0, 1, 1, 1, 2, 2, 3))
        born = sorted(survey - timedelta(days=rng.randint(20, 1_790)) for _ in range(kids))
        pregnant = rng.random() < 0.08
        answers: dict[str, Any] = {
            "today": survey.isoformat(),
            "wilayah/kecamatan": desa.rsplit(".", 1)[0],
            "wilayah/desa": desa,
            "keluarga/rw": f"{rng.randint(1, 15):03d}",
            "keluarga/rt": f"{rng.randint(1, 10):03d}",
            "keluarga/no_kk": f"3277{int(desa[-2:]):02d}{n:010d}",
            "istri/tgl_lahir_istri": wife_born.isoformat(),
            "istri/jumlah_anak_hidup": str(kids + rng.choice((0, 0, 1, 2))),
            "istri/pendidikan_ibu": rng.choice(
                ("sd", "smp", "smp", "sma", "sma", "perguruan_tinggi")
            ),
            "istri/hamil": "ya" if pregnant else "tidak",
            "kb/kb_metode": rng.choice(("suntik", "suntik", "pil", "implan", "iud", "tidak_ada")),
            "rumah/sumber_air": rng.choice(
                ("ledeng", "sumur_bor", "sumur_terlindung", "kemasan", "sumur_tidak_terlindung")
            ),
            "rumah/jamban": rng.choice(("septik", "septik", "septik", "tanpa_septik", "tidak_ada")),
            "rumah/luas_lantai_m2": str(rng.randint(18, 120)),
            "rumah/jumlah_penghuni": str(rng.randint(2, 8)),
            "ada_balita": "ya" if kids else "tidak",
        }
        if born:
            answers["istri/tgl_lahir_anak_bungsu"] = born[-1].isoformat()
        if pregnant:
            answers["kehamilan/usia_kehamilan_bulan"] = str(rng.randint(2, 8))
            answers["kehamilan/lila_cm"] = f"{rng.gauss(25.5, 2.5):.1f}"
            answers["kehamilan/hb"] = f"{rng.gauss(11.5, 1.2):.1f}"
        if born:
            answers["anak"] = [self._child(b, survey) for b in born]
        return self.envelope("keluarga_risiko", answers, self._when(survey))

    def _child(self, born: date, measured: date) -> dict[str, str]:
        rng = self.rng
        months = (measured - born).days / 30.4375
        # Mean z around -0.8 with SD 1.1 gives roughly the 20-25 % stunting West Java reports.
        height = _interp(_MEDIAN_HEIGHT, months) * (1 + 0.037 * rng.gauss(-0.8, 1.1))
        weight = _interp(_MEDIAN_WEIGHT, months) * (1 + 0.12 * rng.gauss(-0.5, 1.0))
        return {
            "anak/jk": rng.choice(("l", "p")),
            "anak/tgl_lahir_anak": born.isoformat(),
            "anak/tgl_ukur": measured.isoformat(),
            "anak/cara_ukur": "berbaring" if months < 24 else "berdiri",
            "anak/tinggi_cm": f"{height:.1f}",
            "anak/berat_kg": f"{weight:.1f}",
        }
