"""Generate Pantau's XLSForms (xlsforms/*.xlsx) from this readable source.

The .xlsx files are the artifacts admins open, edit and publish; this script is how they are
(re)made reviewably. Run: `.venv/bin/python scripts/gen_xlsforms.py [OUT_DIR]`.

Conventions:
- Bahasa Indonesia is the default language, English the second; every label, hint,
  constraint message and required message is written in both (`pantau forms lint` checks it).
- `settings.version` is left blank on purpose: `pantau forms build` stamps it.
- Names that xlsforms/contract.toml lists are an interface; do not rename them here.
"""

from __future__ import annotations

import sys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

ID = "Indonesian (id)"
EN = "English (en)"
OUT = Path(__file__).resolve().parent.parent / "xlsforms"

SURVEY_COLUMNS = [
    "type",
    "name",
    f"label::{ID}",
    f"label::{EN}",
    f"hint::{ID}",
    f"hint::{EN}",
    "required",
    f"required_message::{ID}",
    f"required_message::{EN}",
    "relevant",
    "constraint",
    f"constraint_message::{ID}",
    f"constraint_message::{EN}",
    "appearance",
    "choice_filter",
    "calculation",
    "default",
    "parameters",
]
CHOICES_COLUMNS = ["list_name", "name", f"label::{ID}", f"label::{EN}"]
SETTINGS_COLUMNS = ["form_id", "form_title", "default_language", "version", "instance_name"]

REQUIRED_MSG = ("Pertanyaan ini wajib diisi.", "This question is required.")
NOT_FUTURE = ". <= today()"


def row(
    type_: str,
    name: str,
    label: tuple[str, str] | None = None,
    *,
    hint: tuple[str, str] | None = None,
    required: bool = False,
    relevant: str = "",
    constraint: str = "",
    message: tuple[str, str] | None = None,
    appearance: str = "",
    choice_filter: str = "",
    calculation: str = "",
    default: str = "",
    parameters: str = "",
) -> dict[str, str]:
    """One survey row; labels, hints and messages are (Indonesian, English) pairs."""
    if constraint and not message:
        raise ValueError(f"{name}: a constraint needs a message in both languages")
    r = {"type": type_, "name": name, "relevant": relevant, "constraint": constraint}
    if label:
        r[f"label::{ID}"], r[f"label::{EN}"] = label
    if hint:
        r[f"hint::{ID}"], r[f"hint::{EN}"] = hint
    if required:
        r["required"] = "yes"
        r[f"required_message::{ID}"], r[f"required_message::{EN}"] = REQUIRED_MSG
    if message:
        r[f"constraint_message::{ID}"], r[f"constraint_message::{EN}"] = message
    r.update(
        appearance=appearance,
        choice_filter=choice_filter,
        calculation=calculation,
        default=default,
        parameters=parameters,
    )
    return r


def count(
    name: str, label: tuple[str, str], upper: int, *, required: bool = True, **kw: str
) -> dict[str, str]:
    """An integer count between 0 and upper, with bilingual range messages."""
    return row(
        "integer",
        name,
        label,
        required=required,
        constraint=f". >= 0 and . <= {upper}",
        message=(f"Isi angka 0 sampai {upper}.", f"Enter a number from 0 to {upper}."),
        **kw,
    )


def date_row(
    name: str,
    label: tuple[str, str],
    *,
    since: str = "2020-01-01",
    required: bool = True,
    **kw: str,
) -> dict[str, str]:
    """A date that cannot lie in the future nor before `since`."""
    return row(
        "date",
        name,
        label,
        required=required,
        constraint=f"{NOT_FUTURE} and . >= date('{since}')",
        message=(
            f"Tanggal tidak boleh di masa depan atau sebelum {since}.",
            f"The date cannot be in the future or before {since}.",
        ),
        **kw,
    )


def begin(kind: str, name: str, label: tuple[str, str], **kw: str) -> dict[str, str]:
    """Open a group or repeat."""
    return row(f"begin_{kind}", name, label, **kw)


def end(kind: str, name: str) -> dict[str, str]:
    """Close a group or repeat."""
    return {"type": f"end_{kind}", "name": name}


def meta_rows() -> list[dict[str, str]]:
    """The metadata every form records (instanceID is added by pyxform)."""
    return [
        row("start", "start"),
        row("end", "end"),
        row("today", "today"),
        row("deviceid", "deviceid"),
        row("username", "username"),
    ]


def wilayah_rows(with_imp: bool) -> list[dict[str, str]]:
    """Kecamatan -> desa/kelurahan (-> IMP) cascade from the CSV attachments built from the DB."""
    rows = [
        begin("group", "wilayah", ("Wilayah", "Area")),
        row(
            "select_one_from_file wilayah.csv",
            "kecamatan",
            ("Kecamatan", "Sub-district (kecamatan)"),
            required=True,
            choice_filter="level='kecamatan'",
            appearance="minimal",
        ),
        row(
            "select_one_from_file wilayah.csv",
            "desa",
            ("Desa/Kelurahan", "Village (desa/kelurahan)"),
            required=True,
            choice_filter="level='desa' and parent=${kecamatan}",
            appearance="minimal",
        ),
    ]
    if with_imp:
        rows.append(
            row(
                "select_one_from_file imp.csv",
                "imp",
                ("IMP (PPKBD/Sub-PPKBD/Kelompok KB)", "IMP (PPKBD/Sub-PPKBD/KB group)"),
                hint=(
                    "Pilih IMP yang dilaporkan. Jika tidak ada, hubungi PKB/PLKB.",
                    "Choose the IMP being reported. If it is missing, contact the PKB/PLKB.",
                ),
                required=True,
                choice_filter="desa=${desa}",
            )
        )
    rows.append(end("group", "wilayah"))
    return rows


def periode_rows(label: tuple[str, str]) -> list[dict[str, str]]:
    """A month-year question and `periode` (YYYY-MM) calculated from it."""
    return [
        row(
            "date",
            "bulan",
            label,
            required=True,
            appearance="month-year",
            constraint=f"{NOT_FUTURE} and . >= date('2020-01-01')",
            message=(
                "Bulan tidak boleh di masa depan atau sebelum 2020.",
                "The month cannot be in the future or before 2020.",
            ),
        ),
        row("calculate", "periode", calculation="format-date(${bulan}, '%Y-%m')"),
    ]


YA_TIDAK = [("ya", "Ya", "Yes"), ("tidak", "Tidak", "No")]
KB_METODE = [
    ("iud", "IUD/AKDR", "IUD"),
    ("implan", "Implan/susuk", "Implant"),
    ("suntik", "Suntik", "Injectable"),
    ("pil", "Pil", "Pill"),
    ("kondom", "Kondom", "Condom"),
    ("mow", "MOW (tubektomi)", "Female sterilisation (MOW)"),
    ("mop", "MOP (vasektomi)", "Male sterilisation (MOP)"),
]


def choices(list_name: str, items: list[tuple[str, str, str]]) -> list[dict[str, str]]:
    """Rows of one choice list from (name, Indonesian, English) triples."""
    return [
        {"list_name": list_name, "name": n, f"label::{ID}": i, f"label::{EN}": e}
        for n, i, e in items
    ]


# --- pertemuan_imp ---------------------------------------------------------------------------


def pertemuan_imp() -> dict:
    """IMP meeting report (role 2, pertemuan)."""
    survey = [
        *meta_rows(),
        *wilayah_rows(with_imp=True),
        begin("group", "pertemuan", ("Pertemuan", "Meeting")),
        date_row("tgl_pertemuan", ("Tanggal pertemuan", "Date of the meeting")),
        row(
            "select_one jenis_pertemuan",
            "jenis_pertemuan",
            ("Jenis pertemuan", "Kind of meeting"),
            required=True,
        ),
        count("hadir_perempuan", ("Jumlah hadir: perempuan", "Attendance: women"), 500),
        row(
            "integer",
            "hadir_laki",
            ("Jumlah hadir: laki-laki", "Attendance: men"),
            required=True,
            constraint=". >= 0 and . <= 500 and (. + ${hadir_perempuan}) > 0",
            message=(
                "Isi angka 0 sampai 500; total yang hadir minimal 1 orang.",
                "Enter a number from 0 to 500; at least 1 person must attend in total.",
            ),
        ),
        row(
            "select_one ya_tidak",
            "ada_rencana_kerja",
            ("Apakah ada rencana kerja?", "Is there a work plan?"),
            required=True,
        ),
        row(
            "select_one ya_tidak",
            "ada_notulen",
            ("Apakah dibuat notulen?", "Were minutes taken?"),
            required=True,
        ),
        row(
            "image",
            "foto_notulen",
            ("Foto notulen (boleh dilewati)", "Photo of the minutes (optional)"),
            relevant="${ada_notulen} = 'ya'",
            parameters="max-pixels=1600",
        ),
        row(
            "text",
            "topik",
            ("Topik yang dibahas", "Topics discussed"),
            required=True,
            appearance="multiline",
        ),
        row(
            "text",
            "keputusan",
            ("Keputusan dan tindak lanjut", "Decisions and follow-ups"),
            appearance="multiline",
        ),
        row(
            "select_one tindak_lanjut",
            "tindak_lanjut_lalu",
            (
                "Apakah tindak lanjut pertemuan sebelumnya sudah dilaksanakan?",
                "Were the previous meeting's follow-ups carried out?",
            ),
            required=True,
        ),
        row(
            "geopoint",
            "lokasi",
            ("Lokasi pertemuan (GPS)", "Meeting location (GPS)"),
            hint=("Tunggu sampai akurasi di bawah 20 m.", "Wait until accuracy is below 20 m."),
        ),
        end("group", "pertemuan"),
    ]
    chs = [
        *choices(
            "jenis_pertemuan",
            [
                ("pengurus", "Rapat pengurus IMP", "IMP management meeting"),
                ("rakor", "Rapat koordinasi dengan PKB/PLKB", "Coordination meeting with PKB/PLKB"),
                ("pembinaan_poktan", "Pembinaan poktan", "Activity-group (poktan) coaching"),
                ("monev", "Monitoring dan evaluasi", "Monitoring and evaluation"),
            ],
        ),
        *choices("ya_tidak", YA_TIDAK),
        *choices(
            "tindak_lanjut",
            [
                ("ya", "Ya, semua", "Yes, all"),
                ("sebagian", "Sebagian", "Partly"),
                ("tidak", "Tidak", "No"),
                ("tidak_ada", "Tidak ada pertemuan sebelumnya", "There was no previous meeting"),
            ],
        ),
    ]
    settings = {
        "form_id": "pertemuan_imp",
        "form_title": "Laporan Pertemuan IMP",
        "instance_name": "concat('Pertemuan ', ${imp}, ' ', ${tgl_pertemuan})",
    }
    return {"survey": survey, "choices": chs, "settings": settings}


# --- kie_konseling ---------------------------------------------------------------------------


def kie_konseling() -> dict:
    """KIE and counselling activity report (role 3)."""
    reached = "(${jumlah_perempuan} + ${jumlah_laki})"
    survey = [
        *meta_rows(),
        *wilayah_rows(with_imp=True),
        begin("group", "kegiatan", ("Kegiatan", "Activity")),
        date_row("tgl_kegiatan", ("Tanggal kegiatan", "Date of the activity")),
        row(
            "select_one jenis_kegiatan",
            "jenis_kegiatan",
            ("Jenis kegiatan", "Kind of activity"),
            required=True,
        ),
        row(
            "select_multiple sasaran",
            "sasaran",
            ("Sasaran kegiatan", "Audience"),
            hint=("Boleh pilih lebih dari satu.", "Choose all that apply."),
            required=True,
        ),
        count("jumlah_perempuan", ("Jumlah peserta perempuan", "People reached: women"), 5000),
        row(
            "integer",
            "jumlah_laki",
            ("Jumlah peserta laki-laki", "People reached: men"),
            required=True,
            constraint=". >= 0 and . <= 5000 and (. + ${jumlah_perempuan}) > 0",
            message=(
                "Isi angka 0 sampai 5000; total peserta minimal 1 orang.",
                "Enter a number from 0 to 5000; at least 1 person in total.",
            ),
        ),
        row(
            "select_multiple topik",
            "topik",
            ("Topik", "Topics"),
            hint=("Boleh pilih lebih dari satu.", "Choose all that apply."),
            required=True,
        ),
        row(
            "text",
            "topik_lainnya",
            ("Topik lainnya", "Other topic"),
            required=True,
            relevant="selected(${topik}, 'lainnya')",
        ),
        row(
            "select_multiple media",
            "media",
            ("Media yang digunakan", "Media used"),
            required=True,
            constraint="not(selected(., 'tidak_ada') and count-selected(.) > 1)",
            message=(
                "'Tidak ada' tidak boleh dipilih bersama media lain.",
                "'None' cannot be chosen together with other media.",
            ),
        ),
        end("group", "kegiatan"),
        begin("group", "hasil", ("Hasil", "Results")),
        row(
            "integer",
            "jumlah_rujukan",
            ("Jumlah orang yang dirujuk", "People referred"),
            required=True,
            constraint=f". >= 0 and . <= {reached}",
            message=(
                "Tidak boleh negatif atau lebih dari jumlah peserta.",
                "Cannot be negative or more than the people reached.",
            ),
        ),
        row(
            "select_multiple tujuan_rujukan",
            "tujuan_rujukan",
            ("Dirujuk ke mana?", "Referred where?"),
            required=True,
            relevant="${jumlah_rujukan} > 0",
        ),
        row(
            "integer",
            "peserta_kb_baru",
            ("Jumlah peserta KB baru", "New family-planning acceptors"),
            required=True,
            constraint=f". >= 0 and . <= {reached}",
            message=(
                "Tidak boleh negatif atau lebih dari jumlah peserta.",
                "Cannot be negative or more than the people reached.",
            ),
        ),
        row(
            "select_multiple metode_modern",
            "metode_kb_baru",
            ("Metode KB peserta baru", "Methods of the new acceptors"),
            required=True,
            relevant="${peserta_kb_baru} > 0",
        ),
        count(
            "pelayanan_ulang",
            ("Jumlah pelayanan ulang (re-supply) diberikan", "Re-supply services given"),
            5000,
        ),
        end("group", "hasil"),
    ]
    chs = [
        *choices(
            "jenis_kegiatan",
            [
                ("kie_individu", "KIE perorangan", "Individual KIE"),
                ("kie_kelompok", "KIE kelompok", "Group KIE"),
                ("kie_massa", "KIE massa", "Mass KIE"),
                ("konseling", "Konseling", "Counselling"),
            ],
        ),
        *choices(
            "sasaran",
            [
                ("pus", "Pasangan Usia Subur (PUS)", "Couples of reproductive age (PUS)"),
                ("catin", "Calon pengantin (catin)", "Engaged couples (catin)"),
                ("ibu_hamil", "Ibu hamil", "Pregnant women"),
                ("remaja", "Remaja", "Teenagers"),
                ("ortu_balita", "Orang tua balita", "Parents of toddlers"),
                ("lansia", "Lansia", "Elderly"),
            ],
        ),
        *choices(
            "topik",
            [
                ("kb", "Keluarga berencana / kontrasepsi", "Family planning / contraception"),
                ("stunting", "Pencegahan stunting", "Stunting prevention"),
                ("gizi", "Gizi ibu dan anak", "Maternal and child nutrition"),
                ("kespro", "Kesehatan reproduksi", "Reproductive health"),
                ("pup", "Pendewasaan usia perkawinan", "Delaying the age of marriage"),
                ("pengasuhan", "Pengasuhan balita (BKB)", "Parenting of toddlers (BKB)"),
                ("lainnya", "Lainnya", "Other"),
            ],
        ),
        *choices(
            "media",
            [
                ("kie_kit", "KIE kit", "KIE kit"),
                ("leaflet", "Leaflet/brosur", "Leaflet/brochure"),
                ("video", "Video", "Video"),
                ("poster", "Poster/lembar balik", "Poster/flip chart"),
                ("tidak_ada", "Tidak ada", "None"),
            ],
        ),
        *choices(
            "tujuan_rujukan",
            [
                ("puskesmas", "Puskesmas", "Community health centre (puskesmas)"),
                ("bidan", "Bidan/praktik mandiri bidan", "Midwife"),
                ("klinik_kb", "Klinik KB", "Family-planning clinic"),
                ("rumah_sakit", "Rumah sakit", "Hospital"),
                ("lainnya", "Lainnya", "Other"),
            ],
        ),
        *choices("metode_modern", KB_METODE),
    ]
    settings = {
        "form_id": "kie_konseling",
        "form_title": "Laporan KIE dan Konseling",
        "instance_name": "concat('KIE ', ${imp}, ' ', ${tgl_kegiatan})",
    }
    return {"survey": survey, "choices": chs, "settings": settings}


# --- keluarga_risiko -------------------------------------------------------------------------

AGE_DAYS = "(decimal-date-time(today()) - decimal-date-time({}))"


def keluarga_risiko() -> dict:
    """Family stunting-risk (KRS) survey filled by TPK/kader at the house."""
    wife_age = AGE_DAYS.format(".")
    child_age = AGE_DAYS.format(".")
    survey = [
        *meta_rows(),
        *wilayah_rows(with_imp=False),
        begin("group", "keluarga", ("Keluarga", "Family")),
        row(
            "text",
            "rw",
            ("RW", "RW (hamlet)"),
            required=True,
            constraint="regex(., '^[0-9]{1,3}$')",
            message=("RW berupa angka 1-3 digit, mis. 004.", "RW is 1-3 digits, e.g. 004."),
            appearance="numbers",
        ),
        row(
            "text",
            "rt",
            ("RT", "RT (neighbourhood)"),
            required=True,
            constraint="regex(., '^[0-9]{1,3}$')",
            message=("RT berupa angka 1-3 digit, mis. 002.", "RT is 1-3 digits, e.g. 002."),
            appearance="numbers",
        ),
        row(
            "text",
            "no_kk",
            ("Nomor Kartu Keluarga (KK)", "Family card number (KK)"),
            hint=("16 angka, lihat Kartu Keluarga.", "16 digits, see the family card."),
            required=True,
            constraint="regex(., '^[0-9]{16}$')",
            message=("Nomor KK harus 16 angka.", "The KK number must be 16 digits."),
            appearance="numbers",
        ),
        end("group", "keluarga"),
        begin("group", "istri", ("Istri / ibu", "Wife / mother")),
        row(
            "date",
            "tgl_lahir_istri",
            ("Tanggal lahir istri", "Wife's date of birth"),
            required=True,
            constraint=f"{NOT_FUTURE} and {wife_age} >= 3652 and {wife_age} <= 25567",
            message=(
                "Umur istri harus antara 10 dan 70 tahun.",
                "The wife's age must be between 10 and 70 years.",
            ),
        ),
        row(
            "calculate",
            "usia_istri",
            calculation="int(" + AGE_DAYS.format("${tgl_lahir_istri}") + " div 365.25)",
        ),
        count("jumlah_anak_hidup", ("Jumlah anak lahir hidup", "Number of living children"), 20),
        row(
            "date",
            "tgl_lahir_anak_bungsu",
            ("Tanggal lahir anak bungsu", "Youngest child's date of birth"),
            required=True,
            relevant="${jumlah_anak_hidup} > 0",
            constraint=f"{NOT_FUTURE} and . > ${{tgl_lahir_istri}}",
            message=(
                "Tidak boleh di masa depan atau sebelum tanggal lahir ibu.",
                "Cannot be in the future or before the mother's date of birth.",
            ),
        ),
        row(
            "select_one pendidikan",
            "pendidikan_ibu",
            ("Pendidikan terakhir ibu", "Mother's highest education"),
            required=True,
        ),
        row(
            "select_one ya_tidak",
            "hamil",
            ("Apakah istri sedang hamil?", "Is the wife pregnant?"),
            required=True,
        ),
        end("group", "istri"),
        begin("group", "kehamilan", ("Kehamilan", "Pregnancy"), relevant="${hamil} = 'ya'"),
        row(
            "integer",
            "usia_kehamilan_bulan",
            ("Usia kehamilan (bulan)", "Months of pregnancy"),
            required=True,
            constraint=". >= 1 and . <= 10",
            message=("Usia kehamilan 1 sampai 10 bulan.", "Pregnancy is 1 to 10 months."),
        ),
        row(
            "decimal",
            "lila_cm",
            ("Lingkar lengan atas / LiLA (cm)", "Mid-upper arm circumference / MUAC (cm)"),
            hint=("Kosongkan jika tidak diukur.", "Leave empty if not measured."),
            constraint=". >= 15 and . <= 40",
            message=("LiLA harus 15 sampai 40 cm.", "MUAC must be 15 to 40 cm."),
        ),
        row(
            "decimal",
            "hb",
            ("Kadar Hb (g/dL)", "Haemoglobin (g/dL)"),
            hint=(
                "Dari buku KIA atau hasil periksa; kosongkan jika tidak ada.",
                "From the MCH book or a test; leave empty if unknown.",
            ),
            constraint=". >= 4 and . <= 20",
            message=("Hb harus 4 sampai 20 g/dL.", "Haemoglobin must be 4 to 20 g/dL."),
        ),
        end("group", "kehamilan"),
        # Contraception is asked of couples of reproductive age (wife 15-49) who are not
        # pregnant; scoring treats its absence accordingly.
        begin(
            "group",
            "kb",
            ("Keluarga berencana", "Family planning"),
            relevant="${hamil} = 'tidak' and ${usia_istri} >= 15 and ${usia_istri} <= 49",
        ),
        row(
            "select_one kb_metode",
            "kb_metode",
            ("Metode KB yang dipakai saat ini", "Contraceptive method used now"),
            required=True,
        ),
        row(
            "select_multiple alasan_tidak_kb",
            "alasan_tidak_kb",
            ("Alasan tidak memakai KB modern", "Reasons for not using a modern method"),
            hint=("Boleh pilih lebih dari satu.", "Choose all that apply."),
            required=True,
            relevant="${kb_metode} = 'tidak_ada' or ${kb_metode} = 'tradisional'",
        ),
        end("group", "kb"),
        begin("group", "rumah", ("Rumah dan sanitasi", "House and sanitation")),
        row(
            "select_one sumber_air",
            "sumber_air",
            ("Sumber air minum utama", "Main source of drinking water"),
            required=True,
        ),
        row(
            "text",
            "sumber_air_lainnya",
            ("Sumber air minum lainnya", "Other drinking-water source"),
            required=True,
            relevant="${sumber_air} = 'lainnya'",
        ),
        row(
            "select_one jamban",
            "jamban",
            ("Fasilitas buang air besar", "Toilet facility"),
            required=True,
        ),
        row(
            "decimal",
            "luas_lantai_m2",
            ("Luas lantai rumah (m²)", "Floor area of the house (m²)"),
            required=True,
            constraint=". >= 4 and . <= 2000",
            message=("Luas lantai 4 sampai 2000 m².", "Floor area must be 4 to 2000 m²."),
        ),
        row(
            "integer",
            "jumlah_penghuni",
            ("Jumlah penghuni rumah", "People living in the house"),
            required=True,
            constraint=". >= 1 and . <= 40",
            message=("Penghuni 1 sampai 40 orang.", "Between 1 and 40 people."),
        ),
        row(
            "select_one ya_tidak",
            "atap_layak",
            ("Atap layak (tidak bocor, bahan permanen)?", "Roof sound (no leaks, durable)?"),
            required=True,
        ),
        row(
            "select_one ya_tidak",
            "dinding_layak",
            ("Dinding layak (tembok/kayu baik)?", "Walls sound (brick/good wood)?"),
            required=True,
        ),
        row(
            "select_one ya_tidak",
            "lantai_layak",
            ("Lantai layak (bukan tanah)?", "Floor sound (not earth)?"),
            required=True,
        ),
        row(
            "integer",
            "desil_kesejahteraan",
            ("Desil kesejahteraan (P3KE/DTKS)", "Welfare decile (P3KE/DTKS)"),
            hint=("Kosongkan jika tidak diketahui.", "Leave empty if not known."),
            constraint=". >= 1 and . <= 10",
            message=("Desil 1 sampai 10.", "The decile is 1 to 10."),
        ),
        end("group", "rumah"),
        row(
            "select_one ya_tidak",
            "ada_balita",
            ("Apakah ada anak di bawah 5 tahun?", "Are there children under five?"),
            required=True,
        ),
        begin(
            "repeat",
            "anak",
            ("Anak di bawah lima tahun", "Child under five"),
            relevant="${ada_balita} = 'ya'",
        ),
        row(
            "text",
            "nama_panggilan",
            ("Nama panggilan anak", "Child's first name"),
            hint=(
                "Untuk mengenali anak saat kunjungan berikutnya.",
                "To recognise the child later.",
            ),
        ),
        row("select_one jk", "jk", ("Jenis kelamin", "Sex"), required=True),
        row(
            "date",
            "tgl_lahir_anak",
            ("Tanggal lahir anak", "Child's date of birth"),
            required=True,
            constraint=f"{NOT_FUTURE} and {child_age} < 1826",
            message=(
                "Anak harus berumur di bawah 5 tahun dan tanggal tidak di masa depan.",
                "The child must be under five and the date not in the future.",
            ),
        ),
        row(
            "date",
            "tgl_ukur",
            ("Tanggal pengukuran", "Date of measurement"),
            required=True,
            default="today()",
            constraint=(
                f"{NOT_FUTURE} and . >= ${{tgl_lahir_anak}} and {AGE_DAYS.format('.')} <= 60"
            ),
            message=(
                "Tanggal ukur setelah lahir, tidak di masa depan, paling lama 60 hari lalu.",
                "Measured after birth, not in the future, at most 60 days ago.",
            ),
        ),
        row(
            "calculate",
            "umur_bulan",
            calculation=(
                "int((decimal-date-time(${tgl_ukur}) - decimal-date-time(${tgl_lahir_anak}))"
                " div 30.4375)"
            ),
        ),
        row(
            "select_one cara_ukur",
            "cara_ukur",
            ("Cara ukur", "How measured"),
            hint=(
                "Berbaring (panjang badan) di bawah 2 tahun, berdiri mulai 2 tahun.",
                "Lying (length) under 2 years, standing (height) from 2 years.",
            ),
            required=True,
        ),
        row(
            "decimal",
            "tinggi_cm",
            ("Panjang/tinggi badan (cm)", "Length/height (cm)"),
            required=True,
            constraint=". >= 45 and . <= 125",
            message=(
                "Panjang/tinggi harus 45 sampai 125 cm.",
                "Length/height must be 45 to 125 cm.",
            ),
        ),
        row(
            "decimal",
            "berat_kg",
            ("Berat badan (kg)", "Weight (kg)"),
            required=True,
            constraint=". >= 2 and . <= 30",
            message=("Berat harus 2 sampai 30 kg.", "Weight must be 2 to 30 kg."),
        ),
        end("repeat", "anak"),
    ]
    chs = [
        *choices("ya_tidak", YA_TIDAK),
        *choices(
            "kb_metode",
            [
                *KB_METODE,
                ("tradisional", "Tradisional (kalender, senggama terputus)", "Traditional"),
                ("tidak_ada", "Tidak memakai KB", "None"),
            ],
        ),
        *choices(
            "alasan_tidak_kb",
            [
                ("ingin_anak", "Ingin punya anak", "Wants a child"),
                ("efek_samping", "Takut efek samping", "Fears side effects"),
                ("pasangan", "Pasangan tidak setuju", "Partner disagrees"),
                ("biaya", "Biaya", "Cost"),
                ("akses", "Tempat layanan jauh", "Service too far"),
                ("agama", "Alasan agama/budaya", "Religious or cultural reasons"),
                ("tidak_tahu", "Tidak tahu tentang KB", "Does not know about family planning"),
                ("lainnya", "Lainnya", "Other"),
            ],
        ),
        *choices(
            "sumber_air",
            [
                ("kemasan", "Air kemasan/isi ulang", "Bottled/refill water"),
                ("ledeng", "Ledeng/PAM", "Piped water"),
                ("sumur_bor", "Sumur bor/pompa", "Drilled well"),
                ("sumur_terlindung", "Sumur terlindung", "Protected well"),
                ("mata_air_terlindung", "Mata air terlindung", "Protected spring"),
                ("air_hujan", "Air hujan", "Rainwater"),
                ("sumur_tidak_terlindung", "Sumur tidak terlindung", "Unprotected well"),
                ("mata_air_tidak_terlindung", "Mata air tidak terlindung", "Unprotected spring"),
                ("sungai", "Sungai/danau/irigasi", "River/lake/canal"),
                ("lainnya", "Lainnya", "Other"),
            ],
        ),
        *choices(
            "jamban",
            [
                (
                    "septik",
                    "Jamban sendiri/bersama dengan tangki septik",
                    "Toilet with septic tank",
                ),
                ("tanpa_septik", "Jamban tanpa tangki septik", "Toilet without septic tank"),
                ("tidak_ada", "Tidak ada jamban", "No toilet"),
            ],
        ),
        *choices(
            "pendidikan",
            [
                ("tidak_sekolah", "Tidak/belum sekolah", "No schooling"),
                ("sd", "SD/sederajat", "Primary school"),
                ("smp", "SMP/sederajat", "Junior high school"),
                ("sma", "SMA/sederajat", "Senior high school"),
                ("perguruan_tinggi", "Perguruan tinggi", "Higher education"),
            ],
        ),
        *choices("jk", [("l", "Laki-laki", "Boy"), ("p", "Perempuan", "Girl")]),
        *choices(
            "cara_ukur",
            [("berbaring", "Berbaring", "Lying down"), ("berdiri", "Berdiri", "Standing")],
        ),
    ]
    settings = {
        "form_id": "keluarga_risiko",
        "form_title": "Pendataan Keluarga Risiko Stunting",
        "instance_name": (
            "concat('KRS RW ', ${rw}, ' RT ', ${rt}, ' KK …', substr(${no_kk}, 12, 16))"
        ),
    }
    return {"survey": survey, "choices": chs, "settings": settings}


# --- profil_imp ------------------------------------------------------------------------------


def exclusive_none(label: str) -> tuple[str, tuple[str, str]]:
    """Constraint and messages keeping 'tidak_ada' out of a multi-answer with other choices."""
    return (
        "not(selected(., 'tidak_ada') and count-selected(.) > 1)",
        (
            f"'Tidak ada' tidak boleh dipilih bersama {label} lain.",
            "'None' cannot be chosen together with other answers.",
        ),
    )


def profil_imp() -> dict:
    """IMP profile, filled each quarter (roles 1, 5, 6 and the target map)."""
    c_upaya, m_upaya = exclusive_none("upaya")
    c_poktan, m_poktan = exclusive_none("poktan")
    survey = [
        *meta_rows(),
        *wilayah_rows(with_imp=True),
        *periode_rows(("Bulan pengisian profil", "Month of this profile")),
        begin("group", "organisasi", ("Pengorganisasian", "Organisation")),
        row(
            "select_one kepengurusan",
            "kepengurusan",
            ("Kepengurusan IMP", "IMP management"),
            required=True,
        ),
        row(
            "integer",
            "jumlah_pengurus",
            ("Jumlah pengurus", "Number of managers"),
            required=True,
            relevant="${kepengurusan} != 'belum_ada'",
            constraint=". >= 1 and . <= 100",
            message=("Isi angka 1 sampai 100.", "Enter a number from 1 to 100."),
        ),
        row(
            "select_one ya_tidak",
            "pembagian_tugas_tertulis",
            ("Ada pembagian tugas tertulis?", "Is there a written task split?"),
            required=True,
        ),
        row(
            "select_one ya_tidak",
            "ada_seksi",
            ("Ada seksi-seksi dalam kepengurusan?", "Are there sections in the organisation?"),
            required=True,
        ),
        row(
            "select_one ya_tidak",
            "ada_sk",
            ("Ada SK (surat keputusan) pengurus?", "Is there a decree (SK) for the managers?"),
            required=True,
        ),
        end("group", "organisasi"),
        begin("group", "kemandirian", ("Pelayanan dan kemandirian", "Services and self-reliance")),
        row(
            "select_multiple upaya_kemandirian",
            "upaya_kemandirian",
            ("Upaya kemandirian yang berjalan", "Self-reliance efforts running"),
            hint=("Boleh pilih lebih dari satu.", "Choose all that apply."),
            required=True,
            constraint=c_upaya,
            message=m_upaya,
        ),
        row(
            "select_multiple poktan",
            "poktan",
            ("Poktan yang dibina", "Activity groups (poktan) run"),
            hint=("Boleh pilih lebih dari satu.", "Choose all that apply."),
            required=True,
            constraint=c_poktan,
            message=m_poktan,
        ),
        row(
            "select_one ya_tidak",
            "ada_peta_sasaran",
            ("Punya peta sasaran yang dipakai?", "Is a target map kept and used?"),
            required=True,
        ),
        end("group", "kemandirian"),
    ]
    chs = [
        *choices("ya_tidak", YA_TIDAK),
        *choices(
            "kepengurusan",
            [
                ("belum_ada", "Belum ada pengurus", "No managers yet"),
                ("tunggal", "Pengurus tunggal", "A single manager"),
                ("kolektif", "Pengurus kolektif", "A collective board"),
            ],
        ),
        *choices(
            "upaya_kemandirian",
            [
                ("iuran_anggota", "Iuran anggota", "Member dues"),
                ("dana_sehat", "Dana sehat", "Health fund"),
                ("kas_arisan", "Kas/arisan", "Cash box / rotating savings"),
                ("alkon_mandiri", "Alat kontrasepsi mandiri", "Self-funded contraceptives"),
                ("sekretariat", "Sekretariat", "Secretariat"),
                ("usaha_ekonomi", "Usaha ekonomi (UPPKA)", "Income activity (UPPKA)"),
                ("apbdes_csr", "Dana APBDes atau CSR", "Village budget or CSR funding"),
                ("tidak_ada", "Tidak ada", "None"),
            ],
        ),
        *choices(
            "poktan",
            [
                ("bkb", "BKB (Bina Keluarga Balita)", "BKB (families with toddlers)"),
                ("bkr", "BKR (Bina Keluarga Remaja)", "BKR (families with teens)"),
                ("bkl", "BKL (Bina Keluarga Lansia)", "BKL (families with elderly)"),
                ("uppka", "UPPKA", "UPPKA (income generation)"),
                ("pik_r", "PIK-R", "PIK-R (youth centre)"),
                ("tidak_ada", "Tidak ada", "None"),
            ],
        ),
    ]
    settings = {
        "form_id": "profil_imp",
        "form_title": "Profil IMP (triwulan)",
        "instance_name": "concat('Profil ', ${imp}, ' ', ${periode})",
    }
    return {"survey": survey, "choices": chs, "settings": settings}


# --- laporan_bulanan_imp ---------------------------------------------------------------------


def laporan_bulanan_imp() -> dict:
    """Monthly IMP report modelled on F/I/Dal/13; its submission time measures 'on time'."""
    survey = [
        *meta_rows(),
        *wilayah_rows(with_imp=True),
        *periode_rows(("Bulan laporan", "Month reported")),
        begin("group", "kelembagaan", ("Kelembagaan", "Groups")),
        count("jumlah_kelompok", ("Jumlah kelompok KB/poktan", "KB groups and poktan"), 500),
        count(
            "jumlah_kelompok_lapor",
            ("Kelompok yang melapor", "Groups that reported"),
            500,
            relevant="${jumlah_kelompok} > 0",
        ),
        count("jumlah_anggota", ("Jumlah anggota", "Members"), 10000),
        count("anggota_pus", ("Anggota yang PUS", "Members who are PUS"), 10000),
        count(
            "anggota_pus_kb",
            ("Anggota PUS yang ber-KB", "PUS members using contraception"),
            10000,
        ),
        end("group", "kelembagaan"),
        begin("group", "pelayanan", ("Pelayanan", "Services")),
        count("peserta_kb_aktif", ("Peserta KB aktif", "Active contraceptive users"), 10000),
        count(
            "jumlah_pelayanan_ulang",
            ("Pelayanan ulang (re-supply)", "Re-supply services"),
            10000,
        ),
        count("jumlah_rujukan", ("Rujukan", "Referrals"), 1000),
        count("pertemuan_poktan", ("Pertemuan poktan", "Poktan meetings held"), 200),
        count(
            "pertemuan_koordinasi",
            ("Rapat koordinasi KB", "Family-planning coordination meetings"),
            50,
        ),
        count("penyuluhan", ("Penyuluhan/KIE", "Outreach (KIE) sessions"), 200),
        row(
            "select_one ya_tidak",
            "kie_kit_dipakai",
            ("KIE kit dipakai bulan ini?", "Was the KIE kit used this month?"),
            required=True,
        ),
        end("group", "pelayanan"),
    ]
    # Subsets cannot exceed their totals.
    for r in survey:
        if r.get("name") == "jumlah_kelompok_lapor":
            r["constraint"] = ". >= 0 and . <= ${jumlah_kelompok}"
            r[f"constraint_message::{ID}"] = "Tidak boleh lebih dari jumlah kelompok."
            r[f"constraint_message::{EN}"] = "Cannot exceed the number of groups."
        if r.get("name") == "anggota_pus":
            r["constraint"] = ". >= 0 and . <= ${jumlah_anggota}"
            r[f"constraint_message::{ID}"] = "Tidak boleh lebih dari jumlah anggota."
            r[f"constraint_message::{EN}"] = "Cannot exceed the number of members."
        if r.get("name") == "anggota_pus_kb":
            r["constraint"] = ". >= 0 and . <= ${anggota_pus}"
            r[f"constraint_message::{ID}"] = "Tidak boleh lebih dari anggota PUS."
            r[f"constraint_message::{EN}"] = "Cannot exceed the PUS members."
    chs = choices("ya_tidak", YA_TIDAK)
    settings = {
        "form_id": "laporan_bulanan_imp",
        "form_title": "Laporan Bulanan IMP (F/I/Dal)",
        "instance_name": "concat('Laporan ', ${imp}, ' ', ${periode})",
    }
    return {"survey": survey, "choices": chs, "settings": settings}


FORMS = {
    "pertemuan_imp": pertemuan_imp,
    "kie_konseling": kie_konseling,
    "keluarga_risiko": keluarga_risiko,
    "profil_imp": profil_imp,
    "laporan_bulanan_imp": laporan_bulanan_imp,
}


def write_sheet(wb: Workbook, title: str, columns: list[str], rows: list[dict[str, str]]) -> None:
    """Write rows under a bold header, dropping columns no row uses."""
    used = [c for c in columns if any(r.get(c) for r in rows) or c in ("type", "name", "version")]
    ws = wb.create_sheet(title)
    ws.append(used)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        unknown = set(r) - set(columns)
        if unknown:
            raise ValueError(f"{title}: unknown columns {unknown}")
        ws.append([r.get(c) or None for c in used])
    ws.freeze_panes = "A2"


def write_form(name: str, spec: dict, out_dir: Path) -> Path:
    """Write one form's workbook and return its path."""
    wb = Workbook()
    wb.remove(wb.active)
    settings = {"default_language": ID, **spec["settings"]}
    write_sheet(wb, "survey", SURVEY_COLUMNS, spec["survey"])
    write_sheet(wb, "choices", CHOICES_COLUMNS, spec["choices"])
    write_sheet(wb, "settings", SETTINGS_COLUMNS, [settings])
    path = out_dir / f"{name}.xlsx"
    wb.save(path)
    return path


def main(argv: list[str]) -> None:
    out_dir = Path(argv[1]) if len(argv) > 1 else OUT
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, build in FORMS.items():
        print(write_form(name, build(), out_dir))


if __name__ == "__main__":
    main(sys.argv)
