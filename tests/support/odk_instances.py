"""Builders for XForm definitions and submission instances (as ODK Collect serialises them)."""

from __future__ import annotations

import uuid
from pathlib import Path
from xml.sax.saxutils import escape

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CENTRAL_FORM = FIXTURES / "central" / "pendataan_keluarga.xml"
CENTRAL_FORM_ID = "pendataan_keluarga"


def central_xform(version: str = "2026.1", *, title: str | None = None) -> bytes:
    """The fixture XForm with its version (and optionally title) changed."""
    text = CENTRAL_FORM.read_text(encoding="utf-8")
    text = text.replace('version="2026.1"', f'version="{version}"')
    if title is not None:
        text = text.replace("<h:title>Pendataan Keluarga</h:title>", f"<h:title>{title}</h:title>")
    return text.encode("utf-8")


def new_instance_id() -> str:
    """A fresh `uuid:` instance id."""
    return f"uuid:{uuid.uuid4()}"


def family_instance(
    *,
    instance_id: str | None = None,
    version: str = "2026.1",
    desa: str = "3277011001",
    jumlah_anak: int | None = 1,
    anak: list[tuple[str, float]] | None = None,
    deprecated_id: str | None = None,
    form_id: str = CENTRAL_FORM_ID,
) -> bytes:
    """Instance XML for the fixture form; unanswered questions are left empty, as Collect does."""
    instance_id = instance_id or new_instance_id()
    rows = "".join(
        f"<anak><jk>{escape(jk)}</jk><tinggi_cm>{tinggi}</tinggi_cm></anak>"
        for jk, tinggi in (anak if anak is not None else [("l", 78.0)])
    )
    count = "" if jumlah_anak is None else str(jumlah_anak)
    deprecated = f"<deprecatedID>{escape(deprecated_id)}</deprecatedID>" if deprecated_id else ""
    return (
        f'<data xmlns:jr="http://openrosa.org/javarosa" id="{form_id}" version="{version}">'
        f"<identitas><desa>{escape(desa)}</desa></identitas>"
        f"<ibu><tgl_lahir>1990-04-02</tgl_lahir><jumlah_anak>{count}</jumlah_anak></ibu>"
        f"{rows}"
        f"<meta><instanceID>{escape(instance_id)}</instanceID>{deprecated}</meta>"
        "</data>"
    ).encode()
