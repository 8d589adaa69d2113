"""Demo data for Kota Cimahi: an IMP registry and a month of realistic field submissions.

`pantau demo` seeds the registry, then submits these answers (as ODK Collect would) so the whole
pipeline has something to score. The answers are crafted against config/rules/imp_rubric.toml so
that three PPKBD land on three different tiers, and against config/rules/krs.toml so that some
surveyed families are at risk of stunting and one child is stunted. Nothing here talks to a server.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.domain.errors import PantauError
from core.store.models import (
    Family,
    Institution,
    RiskAssessment,
    Submission,
    TierAssessment,
    Wilayah,
)
from demo import DEMO_PREFIX

DEMO_NAMESPACE = uuid.UUID("6b1f3c2e-6f0e-4a51-9d7b-2f5a8c0d3e11")

# Sub-PPKBD (per RW) and their Kelompok KB (per RT) under a few PPKBD.
SUB_UNITS: dict[str, dict[str, tuple[str, ...]]] = {
    "32.77.01.1001": {"004": ("001", "002"), "007": ("003",)},  # Melong
    "32.77.01.1002": {"002": ("001", "004")},  # Cibeureum
    "32.77.02.1001": {"003": ("002",)},  # Baros
    "32.77.03.1002": {"011": ("001", "005")},  # Cibabat
}

# The three PPKBD whose month of submissions is crafted to reach a given tier.
MANDIRI = "32.77.01.1001"  # Melong
BERKEMBANG = "32.77.01.1002"  # Cibeureum
DASAR = "32.77.02.1001"  # Baros
CRAFTED_TIERS = {MANDIRI: "mandiri", BERKEMBANG: "berkembang", DASAR: "dasar"}
# Families are surveyed in two kelurahan.
FAMILY_DESA = (MANDIRI, DASAR)


class DemoDataError(PantauError):
    """The demo data cannot be seeded (e.g. the wilayah are not loaded)."""


def ppkbd_code(desa: str) -> str:
    """Code of the PPKBD (desa/kelurahan IMP) of a desa: `PPKBD-32.77.01.1001`."""
    return f"PPKBD-{desa}"


def sub_ppkbd_code(desa: str, rw: str) -> str:
    """Code of the Sub-PPKBD of one RW: `SUBPPKBD-32.77.01.1001-RW004`."""
    return f"SUBPPKBD-{desa}-RW{rw}"


def kelompok_kb_code(desa: str, rw: str, rt: str) -> str:
    """Code of the Kelompok KB of one RT: `KKB-32.77.01.1001-RW004-RT001`."""
    return f"KKB-{desa}-RW{rw}-RT{rt}"


# -- registry -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedResult:
    """How many IMPs the seed created and how many were already there, by kind."""

    created: dict[str, int]
    existing: dict[str, int]

    @property
    def total(self) -> int:
        """IMPs of the demo registry now in the database."""
        return sum(self.created.values()) + sum(self.existing.values())


def seed_registry(session: Session, prefix: str = DEMO_PREFIX) -> SeedResult:
    """Add one PPKBD per kelurahan under prefix and a few Sub-PPKBD/Kelompok KB; idempotent.

    IMPs that already exist (by code) are left as they are. Never commits.
    """
    desa = session.execute(
        select(Wilayah.code, Wilayah.name)
        .where(Wilayah.level == 4, Wilayah.code.startswith(prefix.rstrip(".") + "."))
        .order_by(Wilayah.code)
    ).all()
    if not desa:
        raise DemoDataError(f"no desa/kelurahan under {prefix} loaded: load the wilayah first")
    have = {i.code: i for i in session.scalars(select(Institution))}
    created = {"ppkbd": 0, "sub_ppkbd": 0, "kelompok_kb": 0}
    existing = dict.fromkeys(created, 0)

    def ensure(code: str, **values: Any) -> Institution:
        found = have.get(code)
        if found is not None:
            existing[values["kind"]] += 1
            return found
        row = Institution(code=code, active=True, **values)
        session.add(row)
        session.flush()
        have[code] = row
        created[values["kind"]] += 1
        return row

    for code, name in desa:
        parent = ensure(ppkbd_code(code), name=name, kind="ppkbd", desa_code=code)
        for rw, rts in SUB_UNITS.get(code, {}).items():
            sub = ensure(
                sub_ppkbd_code(code, rw),
                name=name,
                kind="sub_ppkbd",
                desa_code=code,
                parent_id=parent.id,
                rw=rw,
            )
            for rt in rts:
                ensure(
                    kelompok_kb_code(code, rw, rt),
                    name=name,
                    kind="kelompok_kb",
                    desa_code=code,
                    parent_id=sub.id,
                    rw=rw,
                    rt=rt,
                )
    return SeedResult(created, existing)


# -- sample submissions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleSubmission:
    """Flat answers of one submission (group paths as in the built form), with a stable key."""

    form_id: str
    key: str
    answers: dict[str, Any]

    def instance_id(self, month: str) -> str:
        """A stable `uuid:` instance id: the same sample of the same month is never stored twice."""
        return f"uuid:{uuid.uuid5(DEMO_NAMESPACE, f'pantau-demo/{month}/{self.key}')}"


def _day(today: date, n: int) -> date:
    """Day n of today's month, but never after today (forms refuse dates in the future)."""
    return today.replace(day=min(n, today.day))


def _stamp(day: date, hour: int) -> str:
    return f"{day.isoformat()}T{hour:02d}:00:00.000+07:00"


def _header(desa: str, day: date, imp: str | None = None) -> dict[str, Any]:
    answers: dict[str, Any] = {
        "start": _stamp(day, 9),
        "end": _stamp(day, 10),
        "today": day.isoformat(),
        "wilayah/kecamatan": desa.rsplit(".", 1)[0],
        "wilayah/desa": desa,
    }
    if imp is not None:
        answers["wilayah/imp"] = imp
    return answers


def _meeting(
    desa: str, imp: str, day: date, kind: str, plan: str, minutes: str, follow_up: str, topic: str
) -> dict[str, Any]:
    return {
        **_header(desa, day, imp),
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
        **_header(desa, day, imp),
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
        **_header(desa, day, imp),
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
        **_header(desa, day, imp),
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
            _day(today, 2),
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
            d, imp, _day(today, 5), "rakor", "ya", "ya", "ya", "Rencana pelayanan KB bulan ini"
        ),
    )
    add(
        "pertemuan_imp",
        f"pertemuan/{imp}/2",
        _meeting(d, imp, _day(today, 19), "monev", "ya", "ya", "ya", "Evaluasi capaian peserta KB"),
    )
    sub = sub_ppkbd_code(d, "004")
    add(
        "pertemuan_imp",
        f"pertemuan/{sub}/1",
        _meeting(d, sub, _day(today, 8), "pengurus", "ya", "ya", "ya", "Pendataan PUS RW 004"),
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
            _kie(d, imp, _day(today, 6 + 3 * i), kind, **extra),
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
            _day(today, 3),
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
        _meeting(d, imp, _day(today, 7), "rakor", "ya", "ya", "sebagian", "Jadwal posyandu dan KB"),
    )
    add(
        "kie_konseling",
        f"kie/{imp}/kie_kelompok",
        _kie(d, imp, _day(today, 10), "kie_kelompok", women=12, men=2, resupply=4),
    )
    add(
        "kie_konseling",
        f"kie/{imp}/konseling",
        _kie(d, imp, _day(today, 12), "konseling", women=2, men=1, referrals=1),
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
            _day(today, 4),
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
        _meeting(d, imp, _day(today, 11), "pengurus", "tidak", "tidak", "tidak_ada", "Perkenalan"),
    )
    add(
        "kie_konseling",
        f"kie/{imp}/kie_kelompok",
        _kie(d, imp, _day(today, 14), "kie_kelompok", women=8, men=0),
    )
    return out


@dataclass(frozen=True)
class _Family:
    wife_age: int
    children: int
    youngest_months: int | None  # age of the youngest child, months
    kb: str  # kb_metode ("" when pregnant)
    water: str
    latrine: str
    pregnant: bool = False
    child: tuple[str, int, float, float] | None = None  # (sex, age days, height cm, weight kg)


# Ten families per kelurahan: about half at risk, for different reasons. Families without a
# measured child have no child under five.
_FAMILIES: dict[str, list[_Family]] = {
    MANDIRI: [
        # The stunted boy: 682 days, 78.0 cm lying (z = -2.84, pendek); unprotected well.
        _Family(
            29, 2, 22, "suntik", "sumur_tidak_terlindung", "septik", child=("l", 682, 78.0, 9.4)
        ),
        _Family(31, 2, 40, "implan", "ledeng", "septik", child=("p", 1220, 92.5, 13.1)),
        _Family(27, 1, 9, "pil", "kemasan", "septik", child=("l", 280, 70.0, 8.4)),
        _Family(18, 1, 5, "tidak_ada", "sumur_bor", "septik", child=("p", 150, 61.0, 5.9)),
        _Family(38, 4, 70, "iud", "ledeng", "septik"),
        _Family(33, 2, 62, "suntik", "sumur_terlindung", "tanpa_septik"),
        _Family(25, 1, 14, "kondom", "kemasan", "septik", child=("p", 430, 74.5, 8.9)),
        _Family(30, 3, 66, "implan", "ledeng", "septik"),
        _Family(24, 0, None, "", "sumur_bor", "septik", pregnant=True),
        _Family(35, 2, 72, "mow", "kemasan", "septik"),
    ],
    DASAR: [
        _Family(22, 2, 13, "tidak_ada", "sungai", "tidak_ada", child=("l", 400, 75.0, 9.6)),
        _Family(28, 2, 64, "suntik", "ledeng", "septik"),
        _Family(34, 3, 61, "pil", "sumur_tidak_terlindung", "tanpa_septik"),
        _Family(26, 1, 7, "suntik", "kemasan", "septik", child=("p", 210, 64.0, 7.0)),
        _Family(40, 5, 80, "tradisional", "ledeng", "septik"),
        _Family(29, 2, 68, "implan", "sumur_bor", "septik"),
        # Pregnant at 19 with chronic energy deficiency (LiLA < 23.5 cm).
        _Family(19, 0, None, "", "ledeng", "septik", pregnant=True),
        _Family(32, 2, 75, "iud", "mata_air_tidak_terlindung", "septik"),
        _Family(27, 1, 17, "pil", "kemasan", "septik", child=("l", 520, 80.0, 10.5)),
        _Family(36, 3, 90, "suntik", "ledeng", "septik"),
    ],
}


def _years_ago(today: date, years: int, days_more: int = 40) -> date:
    return date(today.year - years, today.month, min(today.day, 28)) - timedelta(days=days_more)


def family_samples(today: date) -> list[SampleSubmission]:
    """About twenty keluarga_risiko surveys in two kelurahan, some at risk, one child stunted."""
    out = []
    for desa, families in _FAMILIES.items():
        segment = desa.replace(".", "")  # 3277011001
        for n, f in enumerate(families, start=1):
            survey = _day(today, 3 + n)
            no_kk = f"{segment}{200000 + n:06d}"
            answers: dict[str, Any] = {
                **_header(desa, survey),
                "keluarga/rw": f"{(n % 4) + 1:03d}",
                "keluarga/rt": f"{(n % 3) + 1:03d}",
                "keluarga/no_kk": no_kk,
                "istri/tgl_lahir_istri": _years_ago(survey, f.wife_age).isoformat(),
                "istri/jumlah_anak_hidup": str(f.children),
            }
            if f.children and f.youngest_months is not None:
                youngest = survey - timedelta(days=round(f.youngest_months * 30.4375))
                if f.child is not None:
                    youngest = survey - timedelta(days=f.child[1])
                answers["istri/tgl_lahir_anak_bungsu"] = youngest.isoformat()
            answers["istri/pendidikan_ibu"] = "sma" if n % 3 else "smp"
            answers["istri/hamil"] = "ya" if f.pregnant else "tidak"
            if f.pregnant:
                answers["kehamilan/usia_kehamilan_bulan"] = "5"
                # One of them with chronic energy deficiency (LiLA < 23.5 cm).
                answers["kehamilan/lila_cm"] = "22.8" if f.wife_age < 20 else "25.1"
                answers["kehamilan/hb"] = "11.6" if f.wife_age < 20 else "12.4"
            else:
                answers["kb/kb_metode"] = f.kb
                if f.kb in ("tidak_ada", "tradisional"):
                    answers["kb/alasan_tidak_kb"] = (
                        "ingin_anak" if f.children < 2 else "efek_samping"
                    )
            answers.update(
                {
                    "rumah/sumber_air": f.water,
                    "rumah/jamban": f.latrine,
                    "rumah/luas_lantai_m2": "36" if f.children < 3 else "42",
                    "rumah/jumlah_penghuni": str(2 + f.children),
                    "rumah/atap_layak": "ya",
                    "rumah/dinding_layak": "ya",
                    "rumah/lantai_layak": "ya" if f.latrine == "septik" else "tidak",
                    "ada_balita": "ya" if f.child else "tidak",
                }
            )
            if f.child is not None:
                sex, age_days, height, weight = f.child
                answers["anak"] = [
                    {
                        "anak/jk": sex,
                        "anak/tgl_lahir_anak": (survey - timedelta(days=age_days)).isoformat(),
                        "anak/tgl_ukur": survey.isoformat(),
                        "anak/cara_ukur": "berbaring" if age_days < 731 else "berdiri",
                        "anak/tinggi_cm": f"{height:.1f}",
                        "anak/berat_kg": f"{weight:.1f}",
                    }
                ]
            out.append(SampleSubmission("keluarga_risiko", f"keluarga/{no_kk}", answers))
    return out


def sample_submissions(today: date) -> list[SampleSubmission]:
    """Every demo submission for the month of `today` (a local date): IMP reports, then surveys."""
    return imp_samples(today) + family_samples(today)


# -- summary --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TierRow:
    """One IMP's stored tier for a period."""

    imp: str
    name: str
    kind: str
    tier: str


@dataclass(frozen=True)
class DesaFamilies:
    """Surveyed families of one desa: how many, how many at risk, children stunted."""

    desa: str
    name: str
    families: int
    krs: int
    stunted_children: int


def stored_tiers(session: Session, period: str, prefix: str = DEMO_PREFIX) -> list[TierRow]:
    """Stored tiers of the period for IMPs under prefix, PPKBD first, by code."""
    rows = session.execute(
        select(TierAssessment.imp_code, TierAssessment.tier, Institution.name, Institution.kind)
        .join(Institution, Institution.code == TierAssessment.imp_code)
        .where(
            TierAssessment.period == period,
            Institution.desa_code.startswith(prefix.rstrip(".") + "."),
        )
    ).all()
    order = {"ppkbd": 0, "sub_ppkbd": 1, "kelompok_kb": 2}
    tiers = [TierRow(code, name, kind, tier) for code, tier, name, kind in rows]
    return sorted(tiers, key=lambda t: (order.get(t.kind, 9), t.imp))


def families_by_desa(
    session: Session, prefix: str = DEMO_PREFIX, desa: Iterable[str] | None = None
) -> list[DesaFamilies]:
    """Families per desa under prefix, KRS counted from each family's current status."""
    stmt = (
        select(Family, Wilayah.name)
        .join(Wilayah, Wilayah.code == Family.desa_code, isouter=True)
        .where(Family.desa_code.startswith(prefix.rstrip(".") + "."))
    )
    if desa is not None:
        stmt = stmt.where(Family.desa_code.in_(list(desa)))
    found: dict[str, dict[str, Any]] = {}
    for family, name in session.execute(stmt).all():
        row = found.setdefault(
            family.desa_code, {"name": name or "", "families": 0, "krs": 0, "stunted": 0}
        )
        row["families"] += 1
        row["krs"] += int(family.krs)
        latest = session.scalar(
            select(RiskAssessment)
            .join(Submission, Submission.id == RiskAssessment.submission_id)
            .where(RiskAssessment.family_id == family.id, Submission.is_latest.is_(True))
            .order_by(RiskAssessment.surveyed_on.desc(), RiskAssessment.submission_id.desc())
        )
        children = (latest.details or {}).get("children", []) if latest else []
        row["stunted"] += sum(
            1 for c in children if c.get("category") in ("pendek", "sangat_pendek")
        )
    return [
        DesaFamilies(code, r["name"], r["families"], r["krs"], r["stunted"])
        for code, r in sorted(found.items())
    ]
