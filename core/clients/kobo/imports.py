"""Kobo XLSForm imports: upload, poll until complete, return the asset uid."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from core.clients.kobo.errors import KoboImportError, KoboTimeout
from core.clients.kobo.models import ImportTask

if TYPE_CHECKING:
    from core.clients.kobo.client import KoboClient

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ImportService:
    """`/api/v2/imports/`: XLSForm in, asset out."""

    def __init__(self, client: KoboClient) -> None:
        self.client = client

    def create(
        self,
        xlsform: bytes | Path,
        *,
        name: str | None = None,
        destination: str | None = None,
        filename: str | None = None,
    ) -> str:
        """Start an import as a survey (`library=false`); return the import uid.

        Without `library=false` Kobo makes a library block, not a deployable survey.
        `destination` (an asset uid or URL) replaces that asset's content with a new version.
        """
        if isinstance(xlsform, Path):
            filename = filename or xlsform.name
            content = xlsform.read_bytes()
        else:
            content = xlsform
        data: dict[str, str] = {"library": "false"}
        if name:
            data["name"] = name
        if destination:
            data["destination"] = (
                destination
                if destination.startswith(("http://", "https://"))
                else self.client.url(f"/api/v2/assets/{destination}/")
            )
        files = {"file": (filename or "form.xlsx", content, XLSX_TYPE)}
        response = self.client.request("POST", "/api/v2/imports/", data=data, files=files)
        return response.json()["uid"]

    def get(self, uid: str) -> ImportTask:
        """The import's status and messages."""
        return ImportTask.from_json(self.client.get_json(f"/api/v2/imports/{uid}/"))

    def wait(self, uid: str, *, timeout: float = 120.0, interval: float = 0.5) -> str:
        """Poll until the import completes; return the asset uid.

        Raises KoboImportError (Kobo's message) on `error`, KoboTimeout past the deadline.
        """
        deadline = time.monotonic() + timeout
        delay = interval
        while True:
            task = self.get(uid)
            if task.status == "complete":
                if task.asset_uid is None:
                    raise KoboImportError(
                        f"import {uid} completed without an asset: {task.messages}"
                    )
                return task.asset_uid
            if task.status == "error":
                raise KoboImportError(f"import {uid} failed: {task.error or task.messages}")
            if time.monotonic() + delay > deadline:
                raise KoboTimeout(f"import {uid} still {task.status!r} after {timeout} s")
            time.sleep(delay)
            delay = min(delay * 1.5, 5.0)

    def import_form(
        self,
        xlsform: bytes | Path,
        *,
        name: str | None = None,
        destination: str | None = None,
        timeout: float = 120.0,
        interval: float = 0.5,
    ) -> str:
        """Import and wait; return the asset uid."""
        uid = self.create(xlsform, name=name, destination=destination)
        return self.wait(uid, timeout=timeout, interval=interval)
