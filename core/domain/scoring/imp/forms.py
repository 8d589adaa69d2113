"""The IMP forms and the answers scoring reads from them (names from xlsforms/contract.toml)."""

PERTEMUAN = "pertemuan_imp"
KIE = "kie_konseling"
PROFIL = "profil_imp"
LAPORAN = "laporan_bulanan_imp"
IMP_FORMS = (PERTEMUAN, KIE, PROFIL, LAPORAN)
# The date that places a meeting or an activity in its month (profil and laporan have `periode`).
DATE_FIELDS = {PERTEMUAN: "tgl_pertemuan", KIE: "tgl_kegiatan"}
YA = "ya"
# The profil_imp `kepengurusan` answer for an IMP run by one person.
SINGLE_MANAGER = "tunggal"
PROFILE_YES_FIELDS = {
    "pembagian_tugas_tertulis": ("pembagian tugas tertulis", "written task division"),
    "ada_seksi": ("ada seksi-seksi", "has sections"),
    "ada_sk": ("ada SK (surat keputusan)", "has a decree (SK)"),
    "ada_peta_sasaran": ("ada peta sasaran", "has a target map"),
}
REPORT_COUNTS = (
    "jumlah_kelompok",
    "jumlah_anggota",
    "peserta_kb_aktif",
    "jumlah_pelayanan_ulang",
    "jumlah_rujukan",
    "pertemuan_poktan",
)
# The forms a rubric may name as sources of service counts (`pelayanan.sources`).
SERVICE_SOURCES = (LAPORAN, KIE)
