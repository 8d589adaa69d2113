"""The built forms in ODK's own engine (@getodk/xforms-engine), through Kobo and back to facts.

Realistic fills run on the XForm exactly as the Kobo sandbox deploys it (root id = asset uid,
Kobo's version, formhub/uuid, __version__), with the CSV media built from our registry; the XML
the engine serialises is submitted like ODK Collect (OpenRosa POST) and the record read back
from the data API is turned into typed values by `extract_values`.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from config.settings import load_settings
from core.domain.facts import extract_values
from core.store.db import make_engine, make_session_factory, session_scope
from core.store.migrate import upgrade
from core.usecases.build import build_form, stamped_xlsform, write_attachments
from tests.conftest import TEST_KEYS
from tests.integration.forms.conftest import FORM_IDS, FORMS_DIR
from tests.support.kobo_sandbox import start_kobo_sandbox
from tests.support.odk_engine import engine_missing, fill
from tests.support.registry import DESA, DESA_2, IMP, KECAMATAN, SUB_IMP, seed_registry

pytestmark = [
    pytest.mark.node,
    pytest.mark.skipif(engine_missing() is not None, reason=engine_missing() or ""),
]

TODAY = date.today()  # the engine's today(); fills are built relative to it, never asserted
D = TODAY.isoformat
MONTH = TODAY.replace(day=1)
MEETING = TODAY - timedelta(days=3)
CHILD_1 = TODAY - timedelta(days=1100)  # ~3 years: measured standing
CHILD_2 = TODAY - timedelta(days=300)  # ~10 months: measured lying
NO_KK = "3277010101200012"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """Forms built from the committed XLSForms, media from a seeded registry, Kobo deployed."""
    root = tmp_path_factory.mktemp("engine")
    settings = load_settings(
        var_dir=root / "var", database_url=f"sqlite:///{root / 'p.db'}", **TEST_KEYS
    )
    engine = make_engine(settings)
    upgrade(engine)
    factory = make_session_factory(engine)
    out = root / "forms"
    with session_scope(factory) as s:
        seed_registry(s)
        s.flush()
        write_attachments(s, out)
        versions = {
            f: build_form(FORMS_DIR / f"{f}.xlsx", contract=_contract(), out_dir=out, session=s)
            for f in FORM_IDS
        }
    engine.dispose()
    with start_kobo_sandbox(root / "kobo.db") as kobo:
        assets = {}
        for form_id, built in versions.items():
            xlsx = stamped_xlsform(FORMS_DIR / f"{form_id}.xlsx", built.version)
            uid = kobo.import_form(xlsx, name=form_id)
            kobo.deploy(uid)
            # What ODK Collect downloads from Kobo, next to the media it downloads with it.
            deployed = out / f"{form_id}.kobo.xml"
            deployed.write_text(kobo.xform(uid), encoding="utf-8")
            assets[form_id] = (uid, deployed)
        yield {"out": out, "kobo": kobo, "assets": assets, "built": versions}


def _contract():
    from core.domain.forms.contract import load_contract

    return load_contract()


WILAYAH = [("kecamatan", KECAMATAN), ("desa", DESA)]

FILLS: dict[str, list[tuple[str, object]]] = {
    "pertemuan_imp": [
        *WILAYAH,
        ("imp", IMP),
        ("tgl_pertemuan", MEETING.isoformat()),
        ("jenis_pertemuan", "rakor"),
        ("hadir_perempuan", "14"),
        ("hadir_laki", "3"),
        ("ada_rencana_kerja", "ya"),
        ("ada_notulen", "ya"),
        ("topik", "Rencana pelayanan KB keliling dan pendataan PUS"),
        ("keputusan", "Kader mendata PUS di RW 004 sebelum akhir bulan"),
        ("tindak_lanjut_lalu", "sebagian"),
        ("lokasi", "-6.8841 107.5413 712 5"),
    ],
    "kie_konseling": [
        *WILAYAH,
        ("imp", SUB_IMP),
        ("tgl_kegiatan", MEETING.isoformat()),
        ("jenis_kegiatan", "kie_kelompok"),
        ("sasaran", ["pus", "ibu_hamil"]),
        ("jumlah_perempuan", "22"),
        ("jumlah_laki", "6"),
        ("topik", ["kb", "stunting"]),
        ("media", ["kie_kit", "leaflet"]),
        ("jumlah_rujukan", "2"),
        ("tujuan_rujukan", ["puskesmas"]),
        ("peserta_kb_baru", "3"),
        ("metode_kb_baru", ["implan", "suntik"]),
        ("pelayanan_ulang", "5"),
    ],
    "keluarga_risiko": [
        *WILAYAH,
        ("rw", "004"),
        ("rt", "002"),
        ("no_kk", NO_KK),
        ("tgl_lahir_istri", "1994-03-15"),
        ("jumlah_anak_hidup", "2"),
        ("tgl_lahir_anak_bungsu", CHILD_2.isoformat()),
        ("pendidikan_ibu", "smp"),
        ("hamil", "tidak"),
        ("kb_metode", "tidak_ada"),
        ("alasan_tidak_kb", ["ingin_anak", "biaya"]),
        ("sumber_air", "sumur_tidak_terlindung"),
        ("jamban", "tanpa_septik"),
        ("luas_lantai_m2", "24"),
        ("jumlah_penghuni", "5"),
        ("atap_layak", "ya"),
        ("dinding_layak", "ya"),
        ("lantai_layak", "tidak"),
        ("desil_kesejahteraan", "2"),
        ("ada_balita", "ya"),
        ("anak[1]/nama_panggilan", "Dafa"),
        ("anak[1]/jk", "l"),
        ("anak[1]/tgl_lahir_anak", CHILD_1.isoformat()),
        # The engine (0.22) leaves the first-load default of the initial repeat row empty;
        # rows added later get `today()` from odk-new-repeat (anak[2] relies on that).
        ("anak[1]/tgl_ukur", TODAY.isoformat()),
        ("anak[1]/cara_ukur", "berdiri"),
        ("anak[1]/tinggi_cm", "88.5"),
        ("anak[1]/berat_kg", "11.2"),
        ("anak[2]/jk", "p"),
        ("anak[2]/tgl_lahir_anak", CHILD_2.isoformat()),
        ("anak[2]/cara_ukur", "berbaring"),
        ("anak[2]/tinggi_cm", "66.4"),
        ("anak[2]/berat_kg", "7.1"),
    ],
    "profil_imp": [
        *WILAYAH,
        ("imp", IMP),
        ("bulan", MONTH.isoformat()),
        ("kepengurusan", "kolektif"),
        ("jumlah_pengurus", "7"),
        ("pembagian_tugas_tertulis", "ya"),
        ("ada_seksi", "tidak"),
        ("ada_sk", "ya"),
        ("upaya_kemandirian", ["iuran_anggota", "kas_arisan"]),
        ("poktan", ["bkb", "uppka"]),
        ("ada_peta_sasaran", "ya"),
    ],
    "laporan_bulanan_imp": [
        *WILAYAH,
        ("imp", IMP),
        ("bulan", MONTH.isoformat()),
        ("jumlah_kelompok", "6"),
        ("jumlah_kelompok_lapor", "5"),
        ("jumlah_anggota", "120"),
        ("anggota_pus", "80"),
        ("anggota_pus_kb", "61"),
        ("peserta_kb_aktif", "412"),
        ("jumlah_pelayanan_ulang", "37"),
        ("jumlah_rujukan", "4"),
        ("pertemuan_poktan", "9"),
        ("pertemuan_koordinasi", "1"),
        ("penyuluhan", "3"),
        ("kie_kit_dipakai", "ya"),
    ],
}

PERIOD = MONTH.strftime("%Y-%m")
EXPECTED: dict[str, dict[str, object]] = {
    "pertemuan_imp": {
        "desa": DESA,
        "imp": IMP,
        "tgl_pertemuan": MEETING,
        "jenis_pertemuan": "rakor",
        "hadir_perempuan": 14,
        "hadir_laki": 3,
        "ada_rencana_kerja": "ya",
        "ada_notulen": "ya",
        "tindak_lanjut_lalu": "sebagian",
        "lokasi": (-6.8841, 107.5413, 712.0, 5.0),
    },
    "kie_konseling": {
        "desa": DESA,
        "imp": SUB_IMP,
        "tgl_kegiatan": MEETING,
        "jenis_kegiatan": "kie_kelompok",
        "sasaran": ["pus", "ibu_hamil"],
        "jumlah_perempuan": 22,
        "jumlah_laki": 6,
        "jumlah_rujukan": 2,
        "peserta_kb_baru": 3,
        "pelayanan_ulang": 5,
    },
    "keluarga_risiko": {
        "today": TODAY,
        "desa": DESA,
        "rw": "004",
        "rt": "002",
        "no_kk": NO_KK,
        "tgl_lahir_istri": date(1994, 3, 15),
        "jumlah_anak_hidup": 2,
        "tgl_lahir_anak_bungsu": CHILD_2,
        "pendidikan_ibu": "smp",
        "hamil": "tidak",
        "kb_metode": "tidak_ada",
        "sumber_air": "sumur_tidak_terlindung",
        "jamban": "tanpa_septik",
        "luas_lantai_m2": 24.0,
        "jumlah_penghuni": 5,
        "atap_layak": "ya",
        "dinding_layak": "ya",
        "lantai_layak": "tidak",
        "desil_kesejahteraan": 2,
        "anak": [
            {
                "jk": "l",
                "tgl_lahir_anak": CHILD_1,
                "tgl_ukur": TODAY,
                "cara_ukur": "berdiri",
                "tinggi_cm": 88.5,
                "berat_kg": 11.2,
            },
            {
                "jk": "p",
                "tgl_lahir_anak": CHILD_2,
                "tgl_ukur": TODAY,
                "cara_ukur": "berbaring",
                "tinggi_cm": 66.4,
                "berat_kg": 7.1,
            },
        ],
    },
    "profil_imp": {
        "desa": DESA,
        "imp": IMP,
        "periode": PERIOD,
        "kepengurusan": "kolektif",
        "pembagian_tugas_tertulis": "ya",
        "ada_seksi": "tidak",
        "ada_sk": "ya",
        "upaya_kemandirian": ["iuran_anggota", "kas_arisan"],
        "poktan": ["bkb", "uppka"],
        "ada_peta_sasaran": "ya",
    },
    "laporan_bulanan_imp": {
        "desa": DESA,
        "imp": IMP,
        "periode": PERIOD,
        "jumlah_kelompok": 6,
        "jumlah_anggota": 120,
        "peserta_kb_aktif": 412,
        "jumlah_pelayanan_ulang": 37,
        "jumlah_rujukan": 4,
        "pertemuan_poktan": 9,
    },
}


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_engine__realistic_fill_submits_through_kobo_and_reads_back_typed(form_id, env):
    uid, deployed = env["assets"][form_id]
    result = fill(deployed, FILLS[form_id], attachments=env["out"])
    assert result.errors == []
    assert result.violations == []
    assert result.status == "ready"
    assert result.languages == ["Indonesian (id)", "English (en)"]
    xml = result.submission_xml
    assert xml.startswith(f'<{uid} id="{uid}"')
    instance_id = re.search(r"<instanceID>(uuid:[^<]+)</instanceID>", xml).group(1)
    assert re.search(r"<instanceName>[^<]+</instanceName>", xml)

    kobo = env["kobo"]
    resp = kobo.submit(xml.encode("utf-8"))
    assert resp.status_code == 201, resp.text
    data = kobo.api(
        "GET",
        f"/api/v2/assets/{uid}/data/",
        params={"query": json.dumps({"meta/instanceID": instance_id})},
    ).json()
    (record,) = data["results"]
    assert record["username"] == "kader01"

    values = extract_values(record, form_id, _contract())
    assert values == EXPECTED[form_id]


def test_engine__our_own_build_loads_and_fills_too(env):
    # The XForm `pantau forms build` writes (before Kobo rewrites it) is what Central receives.
    result = fill(
        env["out"] / "keluarga_risiko.xml", FILLS["keluarga_risiko"], attachments=env["out"]
    )
    assert (result.errors, result.violations, result.status) == ([], [], "ready")
    version = env["built"]["keluarga_risiko"].version
    assert result.submission_xml.startswith(f'<data id="keluarga_risiko" version="{version}"')


def _with(answers: list[tuple[str, object]], changes: dict[str, object]):
    keys = {k for k, _ in answers}
    missing = set(changes) - keys
    assert not missing, missing
    return [(k, changes.get(k, v)) for k, v in answers]


FUTURE = (TODAY + timedelta(days=2)).isoformat()
NEXT_MONTH = (MONTH + timedelta(days=32)).replace(day=1).isoformat()

# form -> (answers changed in place, answers corrected at the end, expected violations).
OUT_OF_RANGE: dict[str, tuple[dict, list, list[tuple[str, str]]]] = {
    "pertemuan_imp": (
        {"tgl_pertemuan": FUTURE, "hadir_laki": "900"},
        [],
        [
            (
                "/pertemuan/tgl_pertemuan",
                "Tanggal tidak boleh di masa depan atau sebelum 2020-01-01.",
            ),
            ("/pertemuan/hadir_laki", "Isi angka 0 sampai 500; total yang hadir minimal 1 orang."),
        ],
    ),
    "kie_konseling": (
        {"tgl_kegiatan": "2019-12-31", "peserta_kb_baru": "40", "media": ["kie_kit", "tidak_ada"]},
        [],
        [
            (
                "/kegiatan/tgl_kegiatan",
                "Tanggal tidak boleh di masa depan atau sebelum 2020-01-01.",
            ),
            ("/kegiatan/media", "'Tidak ada' tidak boleh dipilih bersama media lain."),
            ("/hasil/peserta_kb_baru", "Tidak boleh negatif atau lebih dari jumlah peserta."),
        ],
    ),
    "keluarga_risiko": (
        {
            "no_kk": "327701010120001",
            "desil_kesejahteraan": "11",
            "anak[1]/tgl_lahir_anak": (TODAY - timedelta(days=2000)).isoformat(),
            "anak[1]/tinggi_cm": "130",
            "anak[2]/tinggi_cm": "44.9",
            "anak[2]/berat_kg": "31",
        },
        # Corrected last: an implausible age hides the contraception questions answered before.
        [("tgl_lahir_istri", FUTURE)],
        [
            ("/keluarga/no_kk", "Nomor KK harus 16 angka."),
            ("/istri/tgl_lahir_istri", "Umur istri harus antara 10 dan 70 tahun."),
            # The youngest child cannot be born before its mother.
            (
                "/istri/tgl_lahir_anak_bungsu",
                "Tidak boleh di masa depan atau sebelum tanggal lahir ibu.",
            ),
            ("/rumah/desil_kesejahteraan", "Desil 1 sampai 10."),
            (
                "/anak[1]/tgl_lahir_anak",
                "Anak harus berumur di bawah 5 tahun dan tanggal tidak di masa depan.",
            ),
            ("/anak[1]/tinggi_cm", "Panjang/tinggi harus 45 sampai 125 cm."),
            ("/anak[2]/tinggi_cm", "Panjang/tinggi harus 45 sampai 125 cm."),
            ("/anak[2]/berat_kg", "Berat harus 2 sampai 30 kg."),
        ],
    ),
    "profil_imp": (
        {"bulan": NEXT_MONTH, "jumlah_pengurus": "0", "poktan": ["bkb", "tidak_ada"]},
        [],
        [
            ("/bulan", "Bulan tidak boleh di masa depan atau sebelum 2020."),
            ("/organisasi/jumlah_pengurus", "Isi angka 1 sampai 100."),
            ("/kemandirian/poktan", "'Tidak ada' tidak boleh dipilih bersama poktan lain."),
        ],
    ),
    "laporan_bulanan_imp": (
        {"jumlah_kelompok_lapor": "7", "anggota_pus_kb": "81", "pertemuan_poktan": "-1"},
        [],
        [
            ("/kelembagaan/jumlah_kelompok_lapor", "Tidak boleh lebih dari jumlah kelompok."),
            ("/kelembagaan/anggota_pus_kb", "Tidak boleh lebih dari anggota PUS."),
            ("/pelayanan/pertemuan_poktan", "Isi angka 0 sampai 200."),
        ],
    ),
}


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_engine__out_of_range_answers_get_exactly_the_expected_indonesian_messages(form_id, env):
    changes, late, expected = OUT_OF_RANGE[form_id]
    answers = _with(FILLS[form_id], changes) + late
    result = fill(env["out"] / f"{form_id}.xml", answers, attachments=env["out"])
    assert result.errors == []
    got = sorted((v["path"], v["kind"], v["message"]) for v in result.violations)
    assert got == sorted((f"/data{p}", "constraint", m) for p, m in expected)
    assert result.status == "pending"


def test_engine__messages_switch_to_english(env):
    changes, late, _ = OUT_OF_RANGE["keluarga_risiko"]
    result = fill(
        env["out"] / "keluarga_risiko.xml",
        _with(FILLS["keluarga_risiko"], changes) + late,
        attachments=env["out"],
        language="English (en)",
    )
    messages = {v["path"]: v["message"] for v in result.violations}
    assert messages["/data/anak[2]/berat_kg"] == "Weight must be 2 to 30 kg."
    assert messages["/data/keluarga/no_kk"] == "The KK number must be 16 digits."


def test_engine__required_answers_left_out_are_reported_with_messages(env):
    answers = [a for a in FILLS["pertemuan_imp"] if a[0] not in ("imp", "hadir_laki")]
    result = fill(env["out"] / "pertemuan_imp.xml", answers, attachments=env["out"])
    got = sorted((v["path"], v["kind"], v["message"]) for v in result.violations)
    assert got == [
        ("/data/pertemuan/hadir_laki", "required", "Pertanyaan ini wajib diisi."),
        ("/data/wilayah/imp", "required", "Pertanyaan ini wajib diisi."),
    ]


def _not_relevant(result) -> set[str]:
    return {e["path"] for e in result.errors if "not relevant" in e["message"]}


def test_engine__pregnancy_questions_only_for_a_pregnant_wife(env):
    form = env["out"] / "keluarga_risiko.xml"
    extra = [("usia_kehamilan_bulan", "6"), ("lila_cm", "22.5"), ("hb", "10.8")]
    not_pregnant = fill(form, FILLS["keluarga_risiko"] + extra, attachments=env["out"])
    assert _not_relevant(not_pregnant) == {"usia_kehamilan_bulan", "lila_cm", "hb"}

    pregnant = _with(FILLS["keluarga_risiko"], {"hamil": "ya"})
    pregnant = [a for a in pregnant if a[0] not in ("kb_metode", "alasan_tidak_kb")] + extra
    result = fill(form, pregnant, attachments=env["out"])
    assert (result.errors, result.violations) == ([], [])
    assert "<lila_cm>22.5</lila_cm>" in result.submission_xml
    # Contraception is not asked of a pregnant wife.
    asked = fill(form, pregnant + [("kb_metode", "pil")], attachments=env["out"])
    assert _not_relevant(asked) == {"kb_metode"}


def test_engine__youngest_child_and_no_kb_reasons_only_when_they_apply(env):
    form = env["out"] / "keluarga_risiko.xml"
    no_children = _with(FILLS["keluarga_risiko"], {"jumlah_anak_hidup": "0"})
    result = fill(form, no_children, attachments=env["out"])
    assert _not_relevant(result) == {"tgl_lahir_anak_bungsu"}

    modern = [
        (k, v)
        for k, v in _with(FILLS["keluarga_risiko"], {"kb_metode": "implan"})
        if k != "alasan_tidak_kb"
    ]
    result = fill(form, modern + [("alasan_tidak_kb", ["biaya"])], attachments=env["out"])
    assert _not_relevant(result) == {"alasan_tidak_kb"}


def test_engine__birth_before_the_youngest_is_asked_from_two_children_never_after_the_youngest(
    env,
):
    form = env["out"] / "keluarga_risiko.xml"
    elder = (CHILD_2 - timedelta(days=400)).isoformat()
    answer = [("tgl_lahir_anak_sebelum_bungsu", elder)]
    result = fill(form, FILLS["keluarga_risiko"] + answer, attachments=env["out"])
    assert (result.errors, result.violations, result.status) == ([], [], "ready")
    tag = "tgl_lahir_anak_sebelum_bungsu"
    assert f"<{tag}>{elder}</{tag}>" in result.submission_xml

    one_child = _with(FILLS["keluarga_risiko"], {"jumlah_anak_hidup": "1"}) + answer
    assert _not_relevant(fill(form, one_child, attachments=env["out"])) == {tag}

    for bad in ((CHILD_2 + timedelta(days=1)).isoformat(), FUTURE):
        answers = FILLS["keluarga_risiko"] + [(tag, bad)]
        messages = {
            language: [
                (v["path"], v["kind"], v["message"])
                for v in fill(form, answers, attachments=env["out"], language=language).violations
            ]
            for language in ("Indonesian (id)", "English (en)")
        }
        path = f"/data/istri/{tag}"
        assert messages == {
            "Indonesian (id)": [
                (
                    path,
                    "constraint",
                    "Tidak boleh di masa depan atau setelah tanggal lahir anak bungsu.",
                )
            ],
            "English (en)": [
                (
                    path,
                    "constraint",
                    "Cannot be in the future or after the youngest child's date of birth.",
                )
            ],
        }, bad


def test_engine__imp_list_is_filtered_by_desa_from_the_csv(env):
    form = env["out"] / "pertemuan_imp.xml"
    answers = _with(FILLS["pertemuan_imp"], {"desa": DESA_2})
    result = fill(form, answers, attachments=env["out"])
    # Kelurahan Cibeureum's only IMP is inactive, so Melong's PPKBD is not offered there.
    assert [e["path"] for e in result.errors] == ["imp"]
    assert "not among the options" in result.errors[0]["message"]


def test_engine__kobo_media_paths_resolve(env):
    # Guard for the harness itself: a form pointing at a missing CSV fails loudly.
    broken = Path(env["out"]) / "missing-media"
    broken.mkdir(exist_ok=True)
    with pytest.raises(RuntimeError, match="did not load"):
        fill(env["out"] / "pertemuan_imp.xml", [], attachments=broken)
