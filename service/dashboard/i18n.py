"""The dashboard's words in Bahasa Indonesia (the default) and English.

`?lang=en` (or `?lang=id`) switches and is remembered in a cookie; every page is `lang="id"`
unless the user chose English.
"""

from __future__ import annotations

from flask import request

LANGS = ("id", "en")
COOKIE = "pantau_lang"

WORDS: dict[str, tuple[str, str]] = {
    "app": ("Pantau", "Pantau"),
    "overview": ("Ringkasan", "Overview"),
    "imps": ("IMP", "IMPs"),
    "alerts": ("Peringatan", "Alerts"),
    "families": ("Keluarga", "Families"),
    "intake": ("Data masuk", "Intake"),
    "registry": ("Registri IMP", "IMP registry"),
    "logout": ("Keluar", "Sign out"),
    "login": ("Masuk", "Sign in"),
    "username": ("Nama pengguna", "User name"),
    "password": ("Kata sandi", "Password"),
    "language": ("English", "Bahasa Indonesia"),
    "tier_dist": ("Sebaran tingkat IMP", "IMP tiers"),
    "krs_by_factor": ("Keluarga risiko stunting (KRS) menurut faktor", "KRS families by factor"),
    "krs_families": ("Keluarga KRS", "KRS families"),
    "stunted_children": ("Anak pendek/sangat pendek", "Stunted children"),
    "open_alerts": ("Peringatan terbuka", "Open alerts"),
    "not_assessed": ("Belum dinilai", "Not assessed"),
    "none": ("Tidak ada", "None"),
    "code": ("Kode", "Code"),
    "name": ("Nama", "Name"),
    "kind": ("Jenis", "Kind"),
    "desa": ("Desa/Kelurahan", "Desa/Kelurahan"),
    "kecamatan": ("Kecamatan", "Kecamatan"),
    "tier": ("Tingkat", "Tier"),
    "period": ("Periode", "Period"),
    "history": ("Riwayat", "History"),
    "role": ("Peran", "Role"),
    "level": ("Nilai", "Level"),
    "met": ("Terpenuhi", "Met"),
    "not_met": ("Belum terpenuhi", "Not met"),
    "next_missing": ("Kurang untuk tingkat berikutnya", "Missing for the next tier"),
    "evidence": ("Bukti (kiriman)", "Evidence (submissions)"),
    "no_evidence": ("Tidak ada bukti pada periode ini", "No evidence in this period"),
    "limited_by": ("Tingkat dibatasi oleh", "Tier limited by"),
    "status": ("Status", "Status"),
    "referral": ("Rujukan", "Referral"),
    "set_referral": ("Ubah status rujukan", "Set referral status"),
    "all": ("Semua", "All"),
    "open": ("Terbuka", "Open"),
    "closed": ("Ditutup", "Closed"),
    "urgent": ("Mendesak", "Urgent"),
    "created": ("Dibuat", "Raised"),
    "family": ("Keluarga", "Family"),
    "family_key_note": (
        "Keluarga hanya ditampilkan dengan kode samaran: Pantau tidak menyimpan nomor KK, NIK "
        "atau nama.",
        "Families are shown by a pseudonymous key only: Pantau holds no KK number, NIK or name.",
    ),
    "factors": ("Faktor risiko", "Risk factors"),
    "children": ("Anak", "Children"),
    "last_survey": ("Survei terakhir", "Last survey"),
    "filter": ("Saring", "Filter"),
    "next_page": ("Halaman berikutnya", "Next page"),
    "export": ("Unduh", "Download"),
    "exports": ("Unduhan", "Exports"),
    "export_tiers": ("Tingkat IMP", "IMP tiers"),
    "export_families": ("Keluarga KRS", "KRS families"),
    "last_webhook": ("Kiriman webhook terakhir", "Last webhook delivery"),
    "pulls": ("Penarikan data per formulir", "Pulls per form"),
    "dead_letters": ("Kiriman ditolak", "Dead letters"),
    "problems": ("Masalah", "Problems"),
    "submissions": ("Kiriman", "Submissions"),
    "import_file": ("Impor berkas IMP (CSV atau XLSX)", "Import an IMP file (CSV or XLSX)"),
    "deactivate_missing": (
        "Nonaktifkan IMP yang tidak ada di berkas",
        "Deactivate IMPs the file does not list",
    ),
    "import": ("Impor", "Import"),
    "new": ("Baru", "New"),
    "changed": ("Berubah", "Changed"),
    "unchanged": ("Tetap", "Unchanged"),
    "deactivated": ("Dinonaktifkan", "Deactivated"),
    "nothing_imported": ("Tidak ada yang diimpor", "Nothing imported"),
    "no_items": ("Tidak ada data.", "Nothing here."),
    "no_families_role": (
        "Peran Anda tidak melihat data keluarga.",
        "Your role does not see family data.",
    ),
    "message": ("Pesan", "Message"),
    "back": ("Kembali", "Back"),
    "error": ("Galat", "Error"),
    "wilayah": ("Wilayah", "Wilayah"),
    "signed_in_as": ("Masuk sebagai", "Signed in as"),
    "note": ("Catatan (tanpa nama atau NIK)", "Note (no names or NIK)"),
    "survey": ("Survei", "Survey"),
    "active": ("Aktif", "Active"),
    "at": ("Waktu", "When"),
    "by": ("Oleh", "By"),
    "forms": ("Formulir", "Forms"),
    # tiers, roles, referral statuses, child categories
    "dasar": ("Dasar", "Basic (Dasar)"),
    "berkembang": ("Berkembang", "Developing (Berkembang)"),
    "mandiri": ("Mandiri", "Self-reliant (Mandiri)"),
    "pengorganisasian": ("Pengorganisasian", "Organisation"),
    "pertemuan": ("Pertemuan", "Meetings"),
    "kie_konseling": ("KIE dan konseling", "KIE and counselling"),
    "pencatatan": ("Pencatatan dan pendataan", "Records and data"),
    "pelayanan": ("Pelayanan kegiatan", "Services"),
    "kemandirian": ("Kemandirian", "Self-reliance"),
    "dirujuk": ("Dirujuk", "Referred"),
    "diterima": ("Diterima", "Received"),
    "ditindaklanjuti": ("Ditindaklanjuti", "Followed up"),
    "sangat_pendek": ("Sangat pendek", "Severely stunted"),
    "pendek": ("Pendek", "Stunted"),
    "normal": ("Normal", "Normal"),
    "tinggi": ("Tinggi", "Tall"),
    "ppkbd": ("PPKBD", "PPKBD"),
    "sub_ppkbd": ("Sub-PPKBD", "Sub-PPKBD"),
    "kelompok_kb": ("Kelompok KB", "Kelompok KB"),
    # KRS factors and alert kinds
    "air_tidak_layak": ("Air minum tidak layak", "Unsafe drinking water"),
    "jamban_tidak_layak": ("Jamban tidak layak", "No proper latrine"),
    "istri_terlalu_muda": ("Istri terlalu muda", "Wife too young"),
    "istri_terlalu_tua": ("Istri terlalu tua", "Wife too old"),
    "jarak_terlalu_dekat": ("Jarak kelahiran terlalu dekat", "Births too close"),
    "anak_terlalu_banyak": ("Anak terlalu banyak", "Too many children"),
    "tidak_kb_modern": ("Tidak ber-KB modern", "No modern contraception"),
    "desil_rendah": ("Desil kesejahteraan rendah", "Low welfare decile"),
    "rumah_tidak_layak": ("Rumah tidak layak huni", "House unfit to live in"),
    "pendidikan_ibu_rendah": ("Pendidikan ibu rendah", "Mother's low education"),
    "anak_di_bawah_minus_2sd": ("Anak di bawah -2 SD", "Child below -2 SD"),
    "ibu_hamil_kek": ("Ibu hamil KEK", "Pregnant woman, chronic energy deficiency"),
    "ibu_hamil_anemia": ("Ibu hamil anemia", "Pregnant woman with anaemia"),
    "kehamilan_4_terlalu": ("Kehamilan 4 Terlalu", "Pregnancy under the 4 Terlalu"),
    "krs_baru": ("Keluarga baru KRS", "Family newly KRS"),
    "tingkat_imp_turun": ("Tingkat IMP turun", "IMP tier dropped"),
}


def current_lang() -> str:
    """The language of this request: `?lang=`, else the cookie, else Indonesian."""
    asked = request.args.get("lang")
    if asked in LANGS:
        return asked
    kept = request.cookies.get(COOKIE)
    return kept if kept in LANGS else "id"


def translate(key: str | None, lang: str) -> str:
    """The word for key in lang (the key itself when there is none)."""
    if key is None:
        return "-"
    pair = WORDS.get(key)
    if pair is None:
        return key
    return pair[0] if lang == "id" else pair[1]
