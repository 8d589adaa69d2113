"""A month of IMP reports, crafted against config/rules/imp_rubric.toml: three PPKBD, three tiers.

Melong reaches Mandiri, Cibeureum Berkembang, Baros Dasar. Each desa has its own builder below, so
what earns a tier reads in one place; the helpers above them fill one form each.
"""

from __future__ import annotations

from datetime import date

from demo.registry import ppkbd_code, sub_ppkbd_code
from demo.samples.common import (
    BERKEMBANG,
    DASAR,
    MANDIRI,
    SampleSubmission,
    day_of_month,
    header,
)


def _meeting(
    desa: str,
    imp: str,
    n: int,
    day: date,
    kind: str,
    plan: str,
    minutes: str,
    follow_up: str,
    topic: str,
) -> SampleSubmission:
    """The imp's n-th pertemuan_imp of the month."""
    answers = {
        **header(desa, day, imp),
        "pertemuan/tgl_pertemuan": day.isoformat(),
        "pertemuan/jenis_pertemuan": kind,
        "pertemuan/hadir_perempuan": "11",
        "pertemuan/hadir_laki": "3",
        "pertemuan/ada_rencana_kerja": plan,
        "pertemuan/ada_notulen": minutes,
        "pertemuan/topik": topic,
        "pertemuan/tindak_lanjut_lalu": follow_up,
    }
    return SampleSubmission("pertemuan_imp", f"pertemuan/{imp}/{n}", answers)


def _kie(
    desa: str,
    imp: str,
    day: date,
    kind: str,
    *,
    women: int = 14,
    men: int = 3,
    referrals: int = 0,
    new_users: int = 0,
    resupply: int = 0,
) -> SampleSubmission:
    """The imp's kie_konseling activity of one kind."""
    answers = {
        **header(desa, day, imp),
        "kegiatan/tgl_kegiatan": day.isoformat(),
        "kegiatan/jenis_kegiatan": kind,
        "kegiatan/sasaran": "pus ibu_hamil" if kind != "kie_massa" else "pus remaja ortu_balita",
        "kegiatan/jumlah_perempuan": str(women),
        "kegiatan/jumlah_laki": str(men),
        "kegiatan/topik": "kb stunting" if kind != "konseling" else "kb",
        "kegiatan/media": "kie_kit leaflet",
        "hasil/jumlah_rujukan": str(referrals),
        "hasil/peserta_kb_baru": str(new_users),
        "hasil/pelayanan_ulang": str(resupply),
    }
    if referrals:
        answers["hasil/tujuan_rujukan"] = "puskesmas"
    if new_users:
        answers["hasil/metode_kb_baru"] = "suntik implan"
    return SampleSubmission("kie_konseling", f"kie/{imp}/{kind}", answers)


def _profile(
    desa: str,
    imp: str,
    day: date,
    *,
    board: str,
    members: int,
    written: str,
    sections: str,
    decree: str,
    efforts: str,
    poktan: str,
    target_map: str,
) -> SampleSubmission:
    """The imp's profil_imp for the month of day."""
    answers = {
        **header(desa, day, imp),
        "bulan": day.replace(day=1).isoformat(),
        "periode": day.strftime("%Y-%m"),  # the form's calculate, as Collect fills it
        "organisasi/kepengurusan": board,
        "organisasi/jumlah_pengurus": str(members),
        "organisasi/pembagian_tugas_tertulis": written,
        "organisasi/ada_seksi": sections,
        "organisasi/ada_sk": decree,
        "kemandirian/upaya_kemandirian": efforts,
        "kemandirian/poktan": poktan,
        "kemandirian/ada_peta_sasaran": target_map,
    }
    return SampleSubmission("profil_imp", f"profil/{imp}", answers)


def _report(desa: str, imp: str, day: date, **counts: int) -> SampleSubmission:
    """The imp's laporan_bulanan_imp: typical counts, overridden by counts."""
    c = {
        "jumlah_kelompok": 4,
        "jumlah_kelompok_lapor": 4,
        "jumlah_anggota": 61,
        "anggota_pus": 48,
        "anggota_pus_kb": 39,
        "peserta_kb_aktif": 212,
        "jumlah_pelayanan_ulang": 37,
        "jumlah_rujukan": 2,
        "pertemuan_poktan": 3,
        "pertemuan_koordinasi": 1,
        "penyuluhan": 4,
        **counts,
    }
    group = {
        "kelembagaan": (
            "jumlah_kelompok",
            "jumlah_kelompok_lapor",
            "jumlah_anggota",
            "anggota_pus",
            "anggota_pus_kb",
        ),
        "pelayanan": (
            "peserta_kb_aktif",
            "jumlah_pelayanan_ulang",
            "jumlah_rujukan",
            "pertemuan_poktan",
            "pertemuan_koordinasi",
            "penyuluhan",
        ),
    }
    answers = {
        **header(desa, day, imp),
        "bulan": day.replace(day=1).isoformat(),
        "periode": day.strftime("%Y-%m"),
    }
    for name, fields in group.items():
        for f in fields:
            answers[f"{name}/{f}"] = str(c[f])
    answers["pelayanan/kie_kit_dipakai"] = "ya"
    return SampleSubmission("laporan_bulanan_imp", f"laporan/{imp}", answers)


def _melong_mandiri(today: date) -> list[SampleSubmission]:
    # Melong: sections and SK, monthly minuted meetings with evaluation, every KIE kind,
    # complete report on time, target map, poktan, own funds.
    d, imp = MANDIRI, ppkbd_code(MANDIRI)
    sub = sub_ppkbd_code(d, "004")
    meetings = [  # (who, n, day, kind, topic): each with a plan, minutes and a follow-up
        (imp, 1, 5, "rakor", "Rencana pelayanan KB bulan ini"),
        (imp, 2, 19, "monev", "Evaluasi capaian peserta KB"),
        (sub, 1, 8, "pengurus", "Pendataan PUS RW 004"),
    ]
    kie = [
        ("kie_individu", {"women": 1, "men": 1, "new_users": 1}),
        ("kie_kelompok", {"women": 18, "men": 4, "resupply": 6}),
        ("kie_massa", {"women": 64, "men": 27}),
        ("konseling", {"women": 3, "men": 0, "referrals": 2, "new_users": 1}),
    ]
    return [
        _profile(
            d,
            imp,
            day_of_month(today, 2),
            board="kolektif",
            members=9,
            written="ya",
            sections="ya",
            decree="ya",
            efforts="iuran_anggota kas_arisan usaha_ekonomi",
            poktan="bkb bkr uppka",
            target_map="ya",
        ),
        *(
            _meeting(d, who, n, day_of_month(today, day), kind, "ya", "ya", "ya", topic)
            for who, n, day, kind, topic in meetings
        ),
        *(
            _kie(d, imp, day_of_month(today, 6 + 3 * i), kind, **extra)
            for i, (kind, extra) in enumerate(kie)
        ),
        _report(d, imp, today),
    ]


def _cibeureum_berkembang(today: date) -> list[SampleSubmission]:
    # Cibeureum: collective board with written tasks but no sections/SK, minuted meetings without
    # a follow-up, KIE and counselling, report on time, no target map, two efforts but no own funds.
    d, imp = BERKEMBANG, ppkbd_code(BERKEMBANG)
    return [
        _profile(
            d,
            imp,
            day_of_month(today, 3),
            board="kolektif",
            members=5,
            written="ya",
            sections="tidak",
            decree="tidak",
            efforts="usaha_ekonomi apbdes_csr",
            poktan="bkb",
            target_map="tidak",
        ),
        _meeting(
            d,
            imp,
            1,
            day_of_month(today, 7),
            "rakor",
            plan="ya",
            minutes="ya",
            follow_up="sebagian",
            topic="Jadwal posyandu dan KB",
        ),
        _kie(d, imp, day_of_month(today, 10), "kie_kelompok", women=12, men=2, resupply=4),
        _kie(d, imp, day_of_month(today, 12), "konseling", women=2, men=1, referrals=1),
        _report(
            d,
            imp,
            today,
            jumlah_kelompok=2,
            jumlah_kelompok_lapor=2,
            jumlah_anggota=34,
            anggota_pus=27,
            anggota_pus_kb=19,
            peserta_kb_aktif=118,
            jumlah_pelayanan_ulang=20,
            jumlah_rujukan=1,
            pertemuan_poktan=1,
        ),
    ]


def _baros_dasar(today: date) -> list[SampleSubmission]:
    # Baros: a single manager, a meeting without plan or minutes, KIE but no counselling,
    # no monthly report yet, one effort.
    d, imp = DASAR, ppkbd_code(DASAR)
    return [
        _profile(
            d,
            imp,
            day_of_month(today, 4),
            board="tunggal",
            members=1,
            written="tidak",
            sections="tidak",
            decree="tidak",
            efforts="kas_arisan",
            poktan="tidak_ada",
            target_map="tidak",
        ),
        _meeting(
            d,
            imp,
            1,
            day_of_month(today, 11),
            "pengurus",
            plan="tidak",
            minutes="tidak",
            follow_up="tidak_ada",
            topic="Perkenalan",
        ),
        _kie(d, imp, day_of_month(today, 14), "kie_kelompok", women=8, men=0),
    ]


def imp_samples(today: date) -> list[SampleSubmission]:
    """A month of IMP reports: Melong reaches Mandiri, Cibeureum Berkembang, Baros Dasar."""
    return _melong_mandiri(today) + _cibeureum_berkembang(today) + _baros_dasar(today)
