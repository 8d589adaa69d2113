"""A synthetic district of Kota Cimahi's size, seeded straight into the database.

Scale from ../shared/domain.md (Kota Cimahi, 2022): 15 kelurahan, 71 PPKBD, 320 Sub-PPKBD,
1,728 Kelompok KB. Every IMP reports one month (meetings, KIE, the monthly report, most a
profile); 20,000 families are surveyed with 0-3 under-fives each. Submissions are Kobo dicts as
the webhook stores them (pseudonymised) and facts are made from them by the product's own
`facts_of` / `fact_row_values`, then bulk-inserted: what a processed backlog looks like.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from core.domain.privacy import pseudonymise
from core.store.facts import fact_row_values, facts_of
from core.store.models import Fact, FormVersion, Institution, Publication, Submission, utcnow
from core.usecases.wilayah import iter_wilayah, load_wilayah

KOTA = "32.77"
MONTH = "2026-10"
N_PPKBD, N_SUB, N_KKB = 71, 320, 1_728
FORMS = ("pertemuan_imp", "kie_konseling", "profil_imp", "laporan_bulanan_imp", "keluarga_risiko")
CHUNK = 2_000
# WHO 2006 medians (boys and girls averaged closely enough for synthetic data): age in months ->
# length/height cm and weight kg; interpolated linearly in between.
_MEDIAN_HEIGHT = ((0, 49.5), (12, 75.0), (24, 86.4), (36, 95.6), (48, 102.9), (60, 109.6))
_MEDIAN_WEIGHT = ((0, 3.3), (12, 9.2), (24, 11.8), (36, 14.0), (48, 16.1), (60, 18.2))


@dataclass
class District:
    """What was seeded: counts the benchmark checks its results against."""

    families: int = 0
    children: int = 0
    imps: int = 0
    imp_submissions: int = 0
    by_form: dict[str, int] = field(default_factory=dict)
    families_by_desa: dict[str, int] = field(default_factory=dict)


def _interp(table: tuple[tuple[int, float], ...], months: float) -> float:
    for (m0, v0), (m1, v1) in zip(table, table[1:], strict=False):
        if months <= m1:
            return v0 + (v1 - v0) * (months - m0) / (m1 - m0)
    return table[-1][1]


class _Builder:
    """Kobo submission dicts for one district, deterministic for a seed."""

    def __init__(self, seed: int, secret: bytes) -> None:
        # Synthetic data, not security: a seeded generator keeps runs comparable.
        self.rng = random.Random(seed)  # noqa: S311
        self.secret = secret
        self.record_id = 0
        self.asset = {f: f"a{f.replace('_', '')[:10]}Bench{len(f):02d}" for f in FORMS}
        self.version = {f: f"vBench{f.replace('_', '')[:14]}" for f in FORMS}

    def envelope(self, form: str, answers: dict[str, Any], submitted: datetime) -> dict[str, Any]:
        """Answers wrapped in the system fields Kobo adds (see ../shared/kobo.md)."""
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

    def imp_month(self, desa: str, imp: str) -> Iterator[tuple[str, dict[str, Any]]]:
        """One month of an IMP's reports: 0-3 meetings, 0-4 KIE, most a report and a profile."""
        rng = self.rng
        first = date(int(MONTH[:4]), int(MONTH[5:]), 1)
        for _ in range(rng.choice((0, 1, 1, 1, 2, 2, 3))):
            day = first + timedelta(days=rng.randint(0, 29))
            yield (
                "pertemuan_imp",
                self.envelope(
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
                ),
            )
        for _ in range(rng.choice((0, 1, 1, 2, 2, 3, 4))):
            day = first + timedelta(days=rng.randint(0, 29))
            yield (
                "kie_konseling",
                self.envelope(
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
                ),
            )
        # The monthly report and the profile arrive in the first half of the next month.
        nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        if rng.random() < 0.9:
            day = nxt + timedelta(days=rng.randint(0, 14))
            yield (
                "laporan_bulanan_imp",
                self.envelope(
                    "laporan_bulanan_imp",
                    {
                        "today": day.isoformat(),
                        **self._where(desa, imp),
                        "bulan": first.isoformat(),
                        "periode": MONTH,
                        "kelembagaan/jumlah_kelompok": str(rng.randint(1, 12)),
                        "kelembagaan/jumlah_anggota": str(rng.randint(10, 120)),
                        "pelayanan/peserta_kb_aktif": str(rng.randint(20, 400)),
                        "pelayanan/jumlah_pelayanan_ulang": str(rng.randint(0, 60)),
                        "pelayanan/jumlah_rujukan": str(rng.randint(0, 5)),
                        "pelayanan/pertemuan_poktan": str(rng.randint(0, 6)),
                    },
                    self._when(day),
                ),
            )
        if rng.random() < 0.7:
            day = nxt + timedelta(days=rng.randint(0, 14))
            yield (
                "profil_imp",
                self.envelope(
                    "profil_imp",
                    {
                        "today": day.isoformat(),
                        **self._where(desa, imp),
                        "bulan": first.isoformat(),
                        "periode": MONTH,
                        "organisasi/kepengurusan": rng.choice(("tunggal", "kolektif", "kolektif")),
                        "organisasi/pembagian_tugas_tertulis": rng.choice(("ya", "ya", "tidak")),
                        "organisasi/ada_seksi": rng.choice(("ya", "tidak")),
                        "organisasi/ada_sk": rng.choice(("ya", "ya", "tidak")),
                        "kemandirian/upaya_kemandirian": " ".join(
                            rng.sample(
                                ("iuran_anggota", "dana_sehat", "kas_arisan", "sekretariat"), 2
                            )
                        ),
                        "kemandirian/poktan": " ".join(
                            rng.sample(("bkb", "bkr", "bkl", "uppka"), 3)
                        ),
                        "kemandirian/ada_peta_sasaran": rng.choice(("ya", "tidak")),
                    },
                    self._when(day),
                ),
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


def _institutions(desas: list[str]) -> list[dict[str, Any]]:
    # PPKBD spread over the kelurahan, Sub-PPKBD over the PPKBD, Kelompok KB over the Sub-PPKBD.
    rows: list[dict[str, Any]] = []
    ppkbd = []
    for i in range(N_PPKBD):
        desa = desas[i % len(desas)]
        rows.append(
            {
                "id": len(rows) + 1,
                "code": f"PPKBD-{desa}-{i:02d}",
                "kind": "ppkbd",
                "desa_code": desa,
                "parent_id": None,
                "rw": None,
                "rt": None,
            }
        )
        ppkbd.append(rows[-1])
    subs = []
    for j in range(N_SUB):
        parent = ppkbd[j % N_PPKBD]
        rw = f"{j // N_PPKBD + 1:03d}"
        rows.append(
            {
                "id": len(rows) + 1,
                "code": f"SUBPPKBD-{parent['code'][6:]}-{rw}",
                "kind": "sub_ppkbd",
                "desa_code": parent["desa_code"],
                "parent_id": parent["id"],
                "rw": rw,
                "rt": None,
            }
        )
        subs.append(rows[-1])
    for k in range(N_KKB):
        parent = subs[k % N_SUB]
        rt = f"{k // N_SUB + 1:03d}"
        rows.append(
            {
                "id": len(rows) + 1,
                "code": f"KKB-{parent['code'][9:]}-{rt}",
                "kind": "kelompok_kb",
                "desa_code": parent["desa_code"],
                "parent_id": parent["id"],
                "rw": parent["rw"],
                "rt": rt,
            }
        )
    for r in rows:
        r["name"] = r["code"].title()
        r["active"] = True
    return rows


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(rows), CHUNK):
        yield rows[i : i + CHUNK]


def seed(
    session: Session, secret: bytes, families: int = 20_000, seed_value: int = 2026
) -> District:
    """Seed wilayah, IMPs, published forms, processed submissions and their facts; no commit."""
    load_wilayah(session, KOTA)
    desas = sorted(r["code"] for r in iter_wilayah(KOTA) if r["level"] == 4)
    institutions = _institutions(desas)
    for chunk in _chunks(institutions):
        session.execute(insert(Institution), chunk)

    builder = _Builder(seed_value, secret)
    fv_ids: dict[str, int] = {}
    for form in FORMS:
        fv = FormVersion(
            form_id=form,
            version="2026100101",
            xform_sha256=uuid.uuid4().hex,
            xlsform_sha256=uuid.uuid4().hex,
            contract={},
            built_by="bench",
        )
        session.add(fv)
        session.flush()
        fv_ids[form] = fv.id
        session.add(
            Publication(
                form_version_id=fv.id,
                server="kobo",
                server_form_id=builder.asset[form],
                server_version_id=builder.version[form],
                published_by="bench",
            )
        )
    session.flush()

    district = District(imps=len(institutions))
    raws: list[tuple[str, dict[str, Any]]] = []
    for imp in institutions:
        raws.extend(builder.imp_month(imp["desa_code"], imp["code"]))
    district.imp_submissions = len(raws)
    for n in range(families):
        desa = desas[n % len(desas)]
        raw = builder.family(n, desa)
        district.families_by_desa[desa] = district.families_by_desa.get(desa, 0) + 1
        district.children += len(raw.get("anak", []))
        raws.append(("keluarga_risiko", raw))
    district.families = families

    # Explicit ids so facts can point at their submission without a round trip per row.
    base = (session.scalar(select(func.max(Submission.id))) or 0) + 1
    now = utcnow()
    subs: list[dict[str, Any]] = []
    facts: list[dict[str, Any]] = []
    for offset, (form, raw) in enumerate(raws):
        raw = pseudonymise(raw, secret)
        sid = base + offset
        submitted = datetime.fromisoformat(raw["_submission_time"]).replace(tzinfo=UTC)
        row = {
            "id": sid,
            "instance_id": raw["_uuid"],
            "root_id": raw["_uuid"],
            "deprecated_id": None,
            "record_id": raw["_id"],
            "server": "kobo",
            "source": "webhook",
            "asset_uid": raw["_xform_id_string"],
            "form_id": form,
            "form_version_id": fv_ids[form],
            "server_version": raw["__version__"],
            "version_known": True,
            "raw": raw,
            "submitted_at": submitted,
            "received_at": submitted,
            "status": "processed",
            "is_latest": True,
            "error": None,
            "processed_at": now,
            "process_count": 1,
        }
        subs.append(row)
        values = fact_row_values(facts_of(Submission(**row)))
        facts.append({"submission_id": sid, "created_at": now, **values})
        district.by_form[form] = district.by_form.get(form, 0) + 1
    for chunk in _chunks(subs):
        session.execute(insert(Submission), chunk)
    for chunk in _chunks(facts):
        session.execute(insert(Fact), chunk)
    if session.get_bind().dialect.name == "postgresql":
        # Explicit ids bypass the sequences; move them on so later inserts do not collide.
        for table in ("submissions", "institutions"):
            seq = f"pg_get_serial_sequence('{table}', 'id')"
            session.execute(text(f"SELECT setval({seq}, (SELECT max(id) FROM {table}))"))  # noqa: S608 - fixed names
    session.flush()
    return district
