"""Dashboard pages for admins: intake health and the IMP registry (import a file)."""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import render_template, request

from core.usecases.browse import intake
from core.usecases.registry import RegistryError, import_imps
from service.access import ADMIN, access, principal
from service.common import audited
from service.dashboard import bp
from service.db import get_session


@bp.get("/intake")
@access(ADMIN, reads="intake", page=True)
def intake_page():
    """Last webhook, pulls per form, dead letters and problems."""
    db = get_session()
    return render_template(
        "intake.html",
        health=intake.health(db),
        dead=intake.dead_letters(db, cursor=None, limit=20).items,
        problems=intake.problems(db, cursor=None, limit=20).items,
        forms=intake.form_list(db, cursor=None, limit=50).items,
    )


@bp.get("/registry")
@access(ADMIN, reads="imp registry", page=True)
def registry_page():
    """The import form."""
    return render_template("registry.html", report=None, problems=None)


@bp.post("/registry")
@access(ADMIN, reads="imp registry", page=True)
def registry_import():
    """Import an IMP file: all rows or none; show what changed, or every bad row."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_template("registry.html", report=None, problems=["no file"]), 400
    suffix = ".xlsx" if upload.filename.lower().endswith((".xlsx", ".xlsm")) else ".csv"
    db = get_session()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"imp{suffix}"
        upload.save(path)
        try:
            report = import_imps(
                db,
                path,
                deactivate_missing=bool(request.form.get("deactivate_missing")),
                within=principal().scope,
            )
        except RegistryError as exc:
            db.rollback()
            return render_template("registry.html", report=None, problems=exc.problems), 422
    # The audit row and the import are one transaction: audited() commits both.
    audited("registry.import", upload.filename[:100], **report.to_dict())
    return render_template("registry.html", report=report, problems=None)
