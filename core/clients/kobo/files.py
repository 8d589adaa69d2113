"""Kobo asset files: form media (CSV lists for `select_one_from_file`)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from core.clients.kobo.models import AssetFile

if TYPE_CHECKING:
    from core.clients.kobo.client import KoboClient


class FileService:
    """`/api/v2/assets/<uid>/files/`: form media."""

    def __init__(self, client: KoboClient) -> None:
        self.client = client

    def list(self, asset_uid: str, file_type: str | None = "form_media") -> list[AssetFile]:
        """Files of the asset (form media by default)."""
        params = {"file_type": file_type} if file_type else {}
        items = self.client.iter_list(f"/api/v2/assets/{asset_uid}/files/", **params)
        files = [AssetFile.from_json(f) for f in items]
        return [f for f in files if file_type is None or f.file_type == file_type]

    def upload_media(
        self,
        asset_uid: str,
        filename: str,
        content: bytes,
        *,
        content_type: str = "text/csv",
        description: str = "",
    ) -> AssetFile:
        """Upload a form media file; a redeploy is needed for devices to get it."""
        response = self.client.request(
            "POST",
            f"/api/v2/assets/{asset_uid}/files/",
            data={
                "file_type": "form_media",
                "description": description or filename,
                "metadata": json.dumps({"filename": filename}),
            },
            files={"content": (filename, content, content_type)},
        )
        return AssetFile.from_json(response.json())

    def content(self, asset_uid: str, file_uid: str) -> bytes:
        """A file's bytes (`…/files/<uid>/content/`)."""
        path = f"/api/v2/assets/{asset_uid}/files/{file_uid}/content/"
        return self.client.request("GET", path).content

    def delete(self, asset_uid: str, file_uid: str) -> None:
        """Remove a file (before uploading its replacement)."""
        self.client.request("DELETE", f"/api/v2/assets/{asset_uid}/files/{file_uid}/")
