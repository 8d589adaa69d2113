"""XLSForm -> XForm with pyxform and ODK Validate; version stamping, hashes and CSV media."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from openpyxl import load_workbook
from pyxform.errors import PyXFormError
from pyxform.validators.odk_validate import ODKValidateError, check_xform
from pyxform.xls2xform import convert
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.domain.forms.contract import Contract
from core.domain.forms.errors import FormBuildError, FormLintError
from core.domain.forms.lint import lint_form, read_sheets
from core.domain.forms.locate import locate_odk_validate, locate_pyxform
from core.store.models import FormVersion, Institution, Publication, Wilayah

# Stamped into settings.version before conversion and replaced afterwards, so the hash of the
# XForm can be taken without the version: an unchanged form hashes the same on every build.
VERSION_PLACEHOLDER = "pantau-version-placeholder"
ATTACHMENT_RE = re.compile(r'src="jr://file-csv/([^"]+)"')
WILAYAH_LEVELS = {3: "kecamatan", 4: "desa"}
IMP_KINDS = {"ppkbd": "PPKBD", "sub_ppkbd": "Sub-PPKBD", "kelompok_kb": "Kelompok KB"}


@dataclass(frozen=True)
class BuildResult:
    """What one build produced, and whether it recorded a new form version."""

    form_id: str
    version: str
    xform_path: Path
    xform_sha256: str
    xlsform_sha256: str
    attachments: list[str]
    new_version: bool
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class VersionRow:
    """One built version of a form and where it was published."""

    version: str
    built_at: datetime
    built_by: str
    xform_sha256: str
    xlsform_sha256: str
    publications: list[dict[str, str | None]]


def sha256_hex(data: bytes) -> str:
    """Hex sha256 of data."""
    return hashlib.sha256(data).hexdigest()


def stamped_xlsform(path: Path, version: str) -> bytes:
    """The XLSForm bytes with settings.version set; the source file is left untouched."""
    # Work on an in-memory copy: the admin's source file is never modified by a build.
    wb = load_workbook(path)
    if "settings" not in wb.sheetnames:
        raise FormBuildError(path.stem, "the workbook has no settings sheet")
    ws = wb["settings"]
    headers = [c.value for c in ws[1]]
    if "version" in headers:
        col = headers.index("version") + 1
    else:
        col = len(headers) + 1
        ws.cell(row=1, column=col, value="version")
    ws.cell(row=2, column=col, value=version)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def convert_xlsform(path: Path) -> tuple[str, list[str]]:
    """The XForm of path with the version placeholder, and pyxform's warnings."""
    warnings: list[str] = []
    try:
        result = convert(
            xlsform=io.BytesIO(stamped_xlsform(path, VERSION_PLACEHOLDER)),
            file_type=".xlsx",
            warnings=warnings,
            pretty_print=True,
            form_name="data",
        )
    except PyXFormError as exc:
        problems = locate_pyxform(path.name, read_sheets(path), str(exc))
        raise FormBuildError(path.stem, problems=problems) from exc
    return result.xform, warnings


def validate_xform(form_id: str, xform: str, source: Path | None = None) -> list[str]:
    """Run ODK Validate (Java) on an XForm; FormBuildError names the row of source it blames.

    ODK Validate knows only the XForm: its `${name}` is mapped back to the row of the XLSForm
    `source` (without one, the message is only cleaned of Java and temp-file names).
    """
    fd, tmp = tempfile.mkstemp(suffix=".xml", prefix=f"{form_id}-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(xform)
        try:
            return check_xform(tmp)
        except ODKValidateError as exc:
            sheets = read_sheets(source) if source is not None else {}
            name = source.name if source is not None else form_id
            problems = locate_odk_validate(name, sheets, str(exc))
            raise FormBuildError(form_id, problems=problems) from exc
        except OSError as exc:  # no java on PATH
            raise FormBuildError(form_id, str(exc)) from exc
    finally:
        os.unlink(tmp)


def next_version(session: Session | None, form_id: str, today: date) -> str:
    """`YYYYMMDDNN`: the build date and a per-day counter for this form."""
    prefix = today.strftime("%Y%m%d")
    if session is None:
        return f"{prefix}01"
    existing = session.scalars(
        select(FormVersion.version).where(
            FormVersion.form_id == form_id, FormVersion.version.like(f"{prefix}%")
        )
    ).all()
    counters = [int(v[8:]) for v in existing if len(v) == 10 and v[8:].isdigit()]
    counter = max(counters, default=0) + 1
    if counter > 99:
        raise FormBuildError(form_id, f"more than 99 versions built on {prefix}")
    return f"{prefix}{counter:02d}"


def latest_version(session: Session, form_id: str) -> FormVersion | None:
    """The most recently recorded build of form_id."""
    return session.scalars(
        select(FormVersion)
        .where(FormVersion.form_id == form_id)
        .order_by(FormVersion.version.desc(), FormVersion.id.desc())
        .limit(1)
    ).first()


def _version_for(
    session: Session | None, form_id: str, xform_sha: str, today: date | None
) -> tuple[str, bool]:
    """The version to stamp, and whether it is the latest recorded one (the XForm unchanged)."""
    previous = latest_version(session, form_id) if session is not None else None
    unchanged = previous is not None and previous.xform_sha256 == xform_sha
    version = (
        previous.version if unchanged else next_version(session, form_id, today or date.today())
    )
    return version, unchanged


def _write_xform(out_dir: Path, form_id: str, xform: str) -> Path:
    """Write `out_dir/<form_id>.xml` through a temporary file, so no reader sees half a form."""
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{form_id}.xml"
    tmp = target.with_suffix(".xml.tmp")
    tmp.write_text(xform, encoding="utf-8")
    tmp.replace(target)
    return target


def build_form(
    path: Path,
    *,
    contract: Contract,
    out_dir: Path,
    session: Session | None = None,
    built_by: str = "",
    today: date | None = None,
    validate: bool = True,
) -> BuildResult:
    """Lint, convert, validate and write `out_dir/<form_id>.xml`; record a new version if changed.

    The session is only used to read and add FormVersion rows; the caller commits.
    """
    path = Path(path)
    problems = lint_form(path, contract)
    if problems:
        raise FormLintError(problems)
    form_id = path.stem
    xlsform_sha = sha256_hex(path.read_bytes())
    template, warnings = convert_xlsform(path)
    xform_sha = sha256_hex(template.encode("utf-8"))

    version, unchanged = _version_for(session, form_id, xform_sha, today)
    xform = template.replace(VERSION_PLACEHOLDER, version)
    if validate:
        warnings += validate_xform(form_id, xform, path)
    target = _write_xform(out_dir, form_id, xform)
    if session is not None and not unchanged:
        fc = contract.forms.get(form_id)
        session.add(
            FormVersion(
                form_id=form_id,
                version=version,
                xform_sha256=xform_sha,
                xlsform_sha256=xlsform_sha,
                contract=fc.to_json() if fc else {},
                built_by=built_by,
            )
        )
        session.flush()
    return BuildResult(
        form_id=form_id,
        version=version,
        xform_path=target,
        xform_sha256=xform_sha,
        xlsform_sha256=xlsform_sha,
        attachments=sorted(set(ATTACHMENT_RE.findall(xform))),
        new_version=not unchanged and session is not None,
        warnings=warnings,
    )


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    tmp = path.with_suffix(".csv.tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    tmp.replace(path)
    return path


def write_attachments(session: Session, out_dir: Path) -> list[Path]:
    """Write `wilayah.csv` (kecamatan and desa) and `imp.csv` (active IMPs) from the database."""
    out_dir.mkdir(parents=True, exist_ok=True)
    wilayah = session.scalars(
        select(Wilayah).where(Wilayah.level.in_(WILAYAH_LEVELS)).order_by(Wilayah.code)
    ).all()
    wilayah_rows = [[w.code, w.name, WILAYAH_LEVELS[w.level], w.parent_code or ""] for w in wilayah]
    imps = session.scalars(
        select(Institution).where(Institution.active.is_(True)).order_by(Institution.code)
    ).all()
    imp_rows = [[i.code, imp_label(i), i.desa_code, i.kind] for i in imps]
    return [
        _write_csv(out_dir / "wilayah.csv", ["name", "label", "level", "parent"], wilayah_rows),
        _write_csv(out_dir / "imp.csv", ["name", "label", "desa", "kind"], imp_rows),
    ]


def imp_label(imp: Institution) -> str:
    """How a kader sees an IMP in the list: kind, name and RW/RT where it has them."""
    where = " ".join(
        p for p in (f"RW {imp.rw}" if imp.rw else "", f"RT {imp.rt}" if imp.rt else "") if p
    )
    kind = IMP_KINDS.get(imp.kind, imp.kind)
    return f"{kind} {imp.name}" + (f" ({where})" if where else "")


def list_versions(session: Session, form_id: str) -> list[VersionRow]:
    """Every recorded build of form_id, newest first, with its publications."""
    versions = session.scalars(
        select(FormVersion)
        .where(FormVersion.form_id == form_id)
        .order_by(FormVersion.version.desc(), FormVersion.id.desc())
    ).all()
    pubs: dict[int, list[dict[str, str | None]]] = {}
    if versions:
        for p in session.scalars(
            select(Publication)
            .where(Publication.form_version_id.in_([v.id for v in versions]))
            .order_by(Publication.published_at)
        ):
            pubs.setdefault(p.form_version_id, []).append(
                {
                    "server": p.server,
                    "server_form_id": p.server_form_id,
                    "server_version_id": p.server_version_id,
                    "status": p.status,
                    "published_at": p.published_at.isoformat() if p.published_at else None,
                    "published_by": p.published_by,
                }
            )
    return [
        VersionRow(
            version=v.version,
            built_at=v.built_at,
            built_by=v.built_by,
            xform_sha256=v.xform_sha256,
            xlsform_sha256=v.xlsform_sha256,
            publications=pubs.get(v.id, []),
        )
        for v in versions
    ]
