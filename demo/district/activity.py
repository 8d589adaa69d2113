"""A year of IMP reports: meetings, KIE and counselling, monthly reports and profiles.

Each IMP draws a habit class once, with shares that depend on its kind (`CLASS_SHARES`: pos KB
are the most active, many kelompok KB hardly report), and organisation traits that follow its
class (`TRAITS`). Then, month by month, its class's probabilities (`HABITS`) decide whether it
met (with a work plan, minutes, follow-up), which KIE and counselling it held, whether it sent
the monthly report (in the last week of the month, so on time) and, every few months, its
profile. An IMP is Mandiri only in a month where all six roles are met, so the strong ones
reach it in some months; most IMPs stay Dasar.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from demo.district.records import Record, day_in, header, sent_at
from demo.district.registry import Imp

KIE_KINDS = ("kie_individu", "kie_kelompok", "kie_massa", "konseling")
CLASSES = ("aktif", "sedang", "lemah", "tidur")  # strong, medium, weak, dormant

# Share of each class, by kind of IMP.
CLASS_SHARES: dict[str, tuple[float, ...]] = {
    "ppkbd": (0.2, 0.45, 0.3, 0.05),
    "sub_ppkbd": (0.03, 0.15, 0.4, 0.42),
    "kelompok_kb": (0.005, 0.015, 0.07, 0.91),
}


@dataclass(frozen=True)
class Habit:
    """Monthly probabilities of one class."""

    meeting: float  # a meeting this month
    plan: float  # ... held with a work plan
    minutes: float  # ... with minutes
    follow_up: float  # ... whose previous follow-ups were done
    kie: tuple[float, float, float, float]  # each of KIE_KINDS this month
    report: float  # the monthly report sent
    profile_every: int  # months between profiles
    profile: float  # a profile sent when one is due


HABITS = {
    "aktif": Habit(0.95, 0.97, 0.97, 0.85, (0.7, 0.85, 0.5, 0.75), 0.95, 3, 0.95),
    "sedang": Habit(0.6, 0.8, 0.75, 0.5, (0.15, 0.35, 0.05, 0.25), 0.65, 6, 0.8),
    "lemah": Habit(0.1, 0.4, 0.3, 0.2, (0.02, 0.08, 0.0, 0.02), 0.1, 12, 0.3),
    "tidur": Habit(0.01, 0.3, 0.2, 0.1, (0.0, 0.01, 0.0, 0.0), 0.005, 12, 0.05),
}


@dataclass(frozen=True)
class Traits:
    """Probabilities of the organisation answers of the profile, by class."""

    collective: float
    written_tasks: float
    sections: float
    decree: float
    efforts: tuple[int, int]  # how many self-reliance efforts (min, max)
    own_funds: float  # one of them is own funding or a secretariat
    poktan: float
    target_map: float


TRAITS = {
    "aktif": Traits(0.95, 0.95, 0.85, 0.85, (2, 4), 0.95, 0.95, 0.9),
    "sedang": Traits(0.7, 0.7, 0.3, 0.4, (1, 3), 0.6, 0.7, 0.4),
    "lemah": Traits(0.3, 0.3, 0.05, 0.1, (0, 1), 0.3, 0.3, 0.1),
    "tidur": Traits(0.1, 0.1, 0.0, 0.05, (0, 1), 0.2, 0.1, 0.0),
}
OWN_FUNDS = ("iuran_anggota", "dana_sehat", "kas_arisan", "sekretariat")
OTHER_EFFORTS = ("alkon_mandiri", "usaha_ekonomi", "apbdes_csr")
POKTAN = ("bkb", "bkr", "bkl", "uppka", "pik_r")
MEETING_KINDS = {
    "ppkbd": ("rakor", "rakor", "pengurus"),
    "sub_ppkbd": ("pengurus", "pembinaan_poktan"),
    "kelompok_kb": ("pembinaan_poktan", "pengurus"),
}
TOPICS = (
    "Rencana pelayanan KB bulan ini",
    "Pendataan PUS dan sasaran",
    "Persiapan posyandu dan BKB",
    "Evaluasi capaian peserta KB",
    "Pendampingan keluarga berisiko stunting",
)


@dataclass(frozen=True)
class ImpYear:
    """One IMP's class, organisation answers, and the month of its first profile of the year."""

    imp: Imp
    klass: str
    profile: dict[str, str]
    phase: int  # profiles in months phase, phase + profile_every, …


class ImpActivity:
    """Makes the IMP reports of one year, in a fixed order of draws from one seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def year_of(self, imp: Imp) -> ImpYear:
        """Draw an IMP's class and its organisation answers."""
        rng = self.rng
        klass = rng.choices(CLASSES, CLASS_SHARES[imp.kind])[0]
        t = TRAITS[klass]
        single = "tunggal" if imp.kind == "ppkbd" else "belum_ada"
        n = rng.randint(*t.efforts)
        own = [rng.choice(OWN_FUNDS)] if n and rng.random() < t.own_funds else []
        efforts = own + rng.sample(OTHER_EFFORTS, min(n - len(own), len(OTHER_EFFORTS)))
        poktan = rng.sample(POKTAN, rng.randint(1, 3)) if rng.random() < t.poktan else []
        collective = rng.random() < t.collective
        profile = {
            "organisasi/kepengurusan": "kolektif" if collective else single,
            "organisasi/jumlah_pengurus": str(rng.randint(3, 12) if collective else 1),
            "organisasi/pembagian_tugas_tertulis": _yes(rng, t.written_tasks),
            "organisasi/ada_seksi": _yes(rng, t.sections),
            "organisasi/ada_sk": _yes(rng, t.decree),
            "kemandirian/upaya_kemandirian": " ".join(efforts) or "tidak_ada",
            "kemandirian/poktan": " ".join(poktan) or "tidak_ada",
            "kemandirian/ada_peta_sasaran": _yes(rng, t.target_map),
        }
        # IMPs update their profile at different times of the year, not all in its first month.
        return ImpYear(imp, klass, profile, rng.randrange(HABITS[klass].profile_every))

    def month(self, year: ImpYear, month: str, index: int) -> Iterator[Record]:
        """The IMP's reports of one month (index: the month's place in the year, 0-11)."""
        rng, habit, imp = self.rng, HABITS[year.klass], year.imp
        if index % habit.profile_every == year.phase and rng.random() < habit.profile:
            yield self._profile(year, month)
        if rng.random() < habit.meeting:
            yield self._meeting(imp, month, habit)
        for kind, p in zip(KIE_KINDS, habit.kie, strict=True):
            if imp.kind != "ppkbd" and kind == "kie_massa":
                p /= 2  # mass outreach is mostly the pos KB's
            if rng.random() < p:
                yield self._kie(imp, month, kind, year.klass)
        if rng.random() < habit.report:
            yield self._report(imp, month, year.klass)

    def _when(self, month: str, first: int = 1, last: int = 28) -> tuple[date, Any]:
        day = day_in(month, self.rng.randint(first, last))
        return day, sent_at(day, self.rng.randint(8 * 60, 20 * 60))

    def _kader(self, imp: Imp) -> str:
        return f"kader-{imp.desa.replace('.', '')}-{self.rng.randint(1, 9)}"

    def _profile(self, year: ImpYear, month: str) -> Record:
        imp = year.imp
        day, sent = self._when(month, 1, 10)
        answers = {
            **header(day, sent, imp.desa, imp.code),
            "bulan": day_in(month, 1).isoformat(),
            "periode": month,
            **year.profile,
        }
        return Record("profil_imp", f"profil/{imp.code}/{month}", sent, answers, self._kader(imp))

    def _meeting(self, imp: Imp, month: str, habit: Habit) -> Record:
        rng = self.rng
        day, sent = self._when(month)
        kind = "monev" if rng.random() < 0.15 else rng.choice(MEETING_KINDS[imp.kind])
        answers = {
            **header(day, sent, imp.desa, imp.code),
            "pertemuan/tgl_pertemuan": day.isoformat(),
            "pertemuan/jenis_pertemuan": kind,
            "pertemuan/hadir_perempuan": str(rng.randint(4, 25)),
            "pertemuan/hadir_laki": str(rng.randint(0, 8)),
            "pertemuan/ada_rencana_kerja": _yes(rng, habit.plan),
            "pertemuan/ada_notulen": _yes(rng, habit.minutes),
            "pertemuan/topik": rng.choice(TOPICS),
            "pertemuan/tindak_lanjut_lalu": (
                "ya" if rng.random() < habit.follow_up else rng.choice(("sebagian", "tidak_ada"))
            ),
        }
        return Record(
            "pertemuan_imp", f"pertemuan/{imp.code}/{month}", sent, answers, self._kader(imp)
        )

    def _kie(self, imp: Imp, month: str, kind: str, klass: str) -> Record:
        rng = self.rng
        day, sent = self._when(month)
        people = {"kie_individu": (1, 3), "konseling": (1, 4), "kie_massa": (30, 120)}
        women = rng.randint(*people.get(kind, (6, 25)))
        referrals = rng.randint(0, 2) + (klass == "aktif" and kind == "konseling")
        new_users = rng.randint(0, 2) if kind in ("kie_individu", "konseling") else 0
        resupply = rng.randint(0, 8)
        answers = {
            **header(day, sent, imp.desa, imp.code),
            "kegiatan/tgl_kegiatan": day.isoformat(),
            "kegiatan/jenis_kegiatan": kind,
            "kegiatan/sasaran": " ".join(rng.sample(("pus", "ibu_hamil", "ortu_balita"), 2)),
            "kegiatan/jumlah_perempuan": str(women),
            "kegiatan/jumlah_laki": str(rng.randint(0, women // 3)),
            "kegiatan/topik": rng.choice(("kb", "kb stunting", "gizi stunting", "kespro")),
            "kegiatan/media": rng.choice(("kie_kit leaflet", "leaflet", "poster video")),
            "hasil/jumlah_rujukan": str(referrals),
            "hasil/peserta_kb_baru": str(new_users),
            "hasil/pelayanan_ulang": str(resupply),
        }
        if referrals:
            answers["hasil/tujuan_rujukan"] = rng.choice(("puskesmas", "bidan", "klinik_kb"))
        if new_users:
            answers["hasil/metode_kb_baru"] = rng.choice(("suntik", "implan", "pil", "iud"))
        key = f"kie/{imp.code}/{month}/{kind}"
        return Record("kie_konseling", key, sent, answers, self._kader(imp))

    def _report(self, imp: Imp, month: str, klass: str) -> Record:
        rng = self.rng
        day, sent = self._when(month, 22, 28)  # the month's recap, before the 10th: on time
        strong = klass == "aktif"
        groups = rng.randint(2, 8)
        members = rng.randint(15, 90)
        pus = rng.randint(members // 2, members)
        counts = {
            "kelembagaan/jumlah_kelompok": groups,
            "kelembagaan/jumlah_kelompok_lapor": rng.randint(groups // 2, groups),
            "kelembagaan/jumlah_anggota": members,
            "kelembagaan/anggota_pus": pus,
            "kelembagaan/anggota_pus_kb": rng.randint(pus // 2, pus),
            "pelayanan/peserta_kb_aktif": rng.randint(40, 400),
            "pelayanan/jumlah_pelayanan_ulang": rng.randint(5, 60)
            if strong
            else rng.randint(0, 25),
            "pelayanan/jumlah_rujukan": rng.randint(1, 5) if strong else rng.randint(0, 2),
            "pelayanan/pertemuan_poktan": rng.randint(1, 6) if strong else rng.randint(0, 2),
            "pelayanan/pertemuan_koordinasi": rng.randint(0, 2),
            "pelayanan/penyuluhan": rng.randint(0, 6),
        }
        answers = {
            **header(day, sent, imp.desa, imp.code),
            "bulan": day_in(month, 1).isoformat(),
            "periode": month,
            **{k: str(v) for k, v in counts.items()},
            "pelayanan/kie_kit_dipakai": _yes(rng, 0.8 if strong else 0.4),
        }
        key = f"laporan/{imp.code}/{month}"
        return Record("laporan_bulanan_imp", key, sent, answers, self._kader(imp))


def _yes(rng: random.Random, p: float) -> str:
    return "ya" if rng.random() < p else "tidak"
