"""A month of IMP reports, crafted against config/rules/imp_rubric.toml: three PPKBD, three tiers.

Melong reaches Mandiri, Cibeureum Berkembang, Baros Dasar. Each has its own builder below, so
what makes a tier is read in one place.
"""

from __future__ import annotations

from datetime import date
from typing import Any

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
    desa: str, imp: str, day: date, kind: str, plan: str, minutes: str, follow_up: str, topic: str
) -> dict[str, Any]:
    return {
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
) -> dict[str, Any]:
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
    return answers


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
) -> dict[str, Any]:
    return {
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


def _report(desa: str, imp: str, day: date, **counts: int) -> dict[str, Any]:
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
    return answers


def imp_samples(today: date) -> list[SampleSubmission]:
    """A month of IMP reports: Melong reaches Mandiri, Cibeureum Berkembang, Baros Dasar."""
    out: list[SampleSubmission] = []

    def add(form: str, key: str, answers: dict[str, Any]) -> None:
        out.append(SampleSubmission(form, key, answers))

    # Melong: sections and SK, monthly minuted meetings with evaluation, every KIE kind,
    # complete report on time, target map, poktan, own funds.
    d, imp = MANDIRI, ppkbd_code(MANDIRI)
    add(
        "profil_imp",
        f"profil/{imp}",
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
    )
    add(
        "pertemuan_imp",
        f"pertemuan/{imp}/1",
        _meeting(
            d,
            imp,
            day_of_month(today, 5),
            "rakor",
            "ya",
            "ya",
            "ya",
            "Rencana pelayanan KB bulan ini",
        ),
    )
    add(
        "pertemuan_imp",
        f"pertemuan/{imp}/2",
        _meeting(
            d,
            imp,
            day_of_month(today, 19),
            "monev",
            "ya",
            "ya",
            "ya",
            "Evaluasi capaian peserta KB",
        ),
    )
    sub = sub_ppkbd_code(d, "004")
    add(
        "pertemuan_imp",
        f"pertemuan/{sub}/1",
        _meeting(
            d, sub, day_of_month(today, 8), "pengurus", "ya", "ya", "ya", "Pendataan PUS RW 004"
        ),
    )
    for i, (kind, extra) in enumerate(
        [
            ("kie_individu", {"women": 1, "men": 1, "new_users": 1}),
            ("kie_kelompok", {"women": 18, "men": 4, "resupply": 6}),
            ("kie_massa", {"women": 64, "men": 27}),
            ("konseling", {"women": 3, "men": 0, "referrals": 2, "new_users": 1}),
        ]
    ):
        add(
            "kie_konseling",
            f"kie/{imp}/{kind}",
            _kie(d, imp, day_of_month(today, 6 + 3 * i), kind, **extra),
        )
    add("laporan_bulanan_imp", f"laporan/{imp}", _report(d, imp, today))

    # Cibeureum: collective board with written tasks but no sections/SK, minuted meetings without
    # a follow-up, KIE and counselling, report on time, no target map, two efforts but no own funds.
    d, imp = BERKEMBANG, ppkbd_code(BERKEMBANG)
    add(
        "profil_imp",
        f"profil/{imp}",
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
    )
    add(
        "pertemuan_imp",
        f"pertemuan/{imp}/1",
        _meeting(
            d,
            imp,
            day_of_month(today, 7),
            "rakor",
            "ya",
            "ya",
            "sebagian",
            "Jadwal posyandu dan KB",
        ),
    )
    add(
        "kie_konseling",
        f"kie/{imp}/kie_kelompok",
        _kie(d, imp, day_of_month(today, 10), "kie_kelompok", women=12, men=2, resupply=4),
    )
    add(
        "kie_konseling",
        f"kie/{imp}/konseling",
        _kie(d, imp, day_of_month(today, 12), "konseling", women=2, men=1, referrals=1),
    )
    add(
        "laporan_bulanan_imp",
        f"laporan/{imp}",
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
    )

    # Baros: a single manager, a meeting without plan or minutes, KIE but no counselling,
    # no monthly report yet, one effort.
    d, imp = DASAR, ppkbd_code(DASAR)
    add(
        "profil_imp",
        f"profil/{imp}",
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
    )
    add(
        "pertemuan_imp",
        f"pertemuan/{imp}/1",
        _meeting(
            d, imp, day_of_month(today, 11), "pengurus", "tidak", "tidak", "tidak_ada", "Perkenalan"
        ),
    )
    add(
        "kie_konseling",
        f"kie/{imp}/kie_kelompok",
        _kie(d, imp, day_of_month(today, 14), "kie_kelompok", women=8, men=0),
    )
    return out
