"""Builders for realistic Kobo submissions of our forms, and a published-form fixture."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from core.store.models import FormVersion, Publication
from sandbox.kobo.instance import build_instance_xml

ROOT = Path(__file__).resolve().parents[2]
FORMS = ROOT / "xlsforms"
DESA = "32.77.01.1001"
IMP = "PPKBD-32.77.01.1001"


def meeting_answers(
    imp: str = IMP,
    day: date | None = None,
    *,
    women: int = 9,
    men: int = 3,
    rencana: str = "ya",
    notulen: str = "ya",
    kind: str = "pengurus",
) -> dict:
    """Flat answers of a realistic pertemuan_imp report (paths as in the built form)."""
    day = day or date(2026, 10, 14)
    return {
        "today": day.isoformat(),
        "wilayah/kecamatan": DESA.rsplit(".", 1)[0],
        "wilayah/desa": DESA,
        "wilayah/imp": imp,
        "pertemuan/tgl_pertemuan": day.isoformat(),
        "pertemuan/jenis_pertemuan": kind,
        "pertemuan/hadir_perempuan": str(women),
        "pertemuan/hadir_laki": str(men),
        "pertemuan/ada_rencana_kerja": rencana,
        "pertemuan/ada_notulen": notulen,
        "pertemuan/topik": "Persiapan pelayanan KB bulan depan",
        "pertemuan/tindak_lanjut_lalu": "ya",
    }


def profile_answers(
    imp: str = IMP,
    month: date | None = None,
    *,
    board: str = "kolektif",
    written: str = "ya",
    sections: str = "tidak",
    decree: str = "tidak",
) -> dict:
    """Flat answers of a profil_imp for a month (the `periode` calculate as Collect fills it)."""
    month = month or date(2026, 10, 1)
    return {
        "today": month.replace(day=5).isoformat(),
        "wilayah/kecamatan": DESA.rsplit(".", 1)[0],
        "wilayah/desa": DESA,
        "wilayah/imp": imp,
        "bulan": month.replace(day=1).isoformat(),
        "periode": month.strftime("%Y-%m"),
        "organisasi/kepengurusan": board,
        "organisasi/jumlah_pengurus": "1" if board == "tunggal" else "5",
        "organisasi/pembagian_tugas_tertulis": written,
        "organisasi/ada_seksi": sections,
        "organisasi/ada_sk": decree,
        "kemandirian/upaya_kemandirian": "iuran_anggota kas_arisan",
        "kemandirian/poktan": "bkb",
        "kemandirian/ada_peta_sasaran": "ya",
    }


def family_answers(
    no_kk: str = "3277010101200012", *, survey: date | None = None, haz_child_cm: float = 78.0
) -> dict:
    """A realistic keluarga_risiko survey: unsafe water, one child measured lying."""
    survey = survey or date(2026, 10, 20)
    born = survey - timedelta(days=682)
    return {
        "today": survey.isoformat(),
        "wilayah/kecamatan": DESA.rsplit(".", 1)[0],
        "wilayah/desa": DESA,
        "keluarga/rw": "004",
        "keluarga/rt": "002",
        "keluarga/no_kk": no_kk,
        "istri/tgl_lahir_istri": "1996-03-02",
        "istri/jumlah_anak_hidup": "2",
        "istri/tgl_lahir_anak_bungsu": born.isoformat(),
        "istri/pendidikan_ibu": "smp",
        "istri/hamil": "tidak",
        "kb/kb_metode": "suntik",
        "rumah/sumber_air": "sumur_tidak_terlindung",
        "rumah/jamban": "septik",
        "ada_balita": "ya",
        "anak": [
            {
                "anak/jk": "l",
                "anak/tgl_lahir_anak": born.isoformat(),
                "anak/tgl_ukur": survey.isoformat(),
                "anak/cara_ukur": "berbaring",
                "anak/tinggi_cm": str(haz_child_cm),
                "anak/berat_kg": "9.4",
            }
        ],
    }


@dataclass
class PublishedForm:
    """A form imported and deployed in the sandbox, with our publication records."""

    form_id: str
    asset_uid: str
    version_uid: str
    xform: str

    def instance(
        self, answers: dict, instance_id: str | None = None, deprecated_id: str | None = None
    ) -> tuple[bytes, str]:
        """OpenRosa XML for answers against the deployed form: (xml, instanceID)."""
        return build_instance_xml(self.xform, answers, instance_id, deprecated_id)


def publish_in_sandbox(sandbox, session: Session, form_id: str) -> PublishedForm:
    """Import and deploy xlsforms/<form_id>.xlsx in the sandbox; record it as published."""
    asset = sandbox.import_form((FORMS / f"{form_id}.xlsx").read_bytes(), name=form_id)
    deployed = sandbox.deploy(asset)
    fv = FormVersion(
        form_id=form_id,
        version="2026102001",
        xform_sha256=uuid.uuid4().hex,
        xlsform_sha256=uuid.uuid4().hex,
        contract={},
        built_by="test",
    )
    session.add(fv)
    session.flush()
    session.add(
        Publication(
            form_version_id=fv.id,
            server="kobo",
            server_url=sandbox.base_url,
            server_form_id=asset,
            server_version_id=deployed["version_id"],
            published_by="test",
            response=deployed,
        )
    )
    session.commit()
    return PublishedForm(form_id, asset, deployed["version_id"], sandbox.xform(asset))


def add_hook(sandbox, asset_uid: str, endpoint: str, name: str = "Pantau") -> str:
    """Register a JSON REST Service with basic auth and our secret header; return its uid."""
    resp = sandbox.api(
        "POST",
        f"/api/v2/assets/{asset_uid}/hooks/",
        json={
            "name": name,
            "endpoint": endpoint,
            "active": True,
            "export_type": "json",
            "auth_level": "basic_auth",
            "settings": {
                "username": "kobo",
                "password": "hook-pass",
                "custom_headers": {"X-Pantau-Token": "hook-token"},
            },
        },
    )
    assert resp.status_code == 201, resp.text
    return resp.json()["uid"]


@contextmanager
def serve_app(app) -> Iterator[str]:
    """Serve a Flask app on a free loopback port (threaded); yield its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
