"""Central forms: create and publish, drafts, versions, attachments."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import quote

from core.clients.central.errors import CentralDuplicateForm
from core.clients.central.models import CentralForm, FormAttachment

if TYPE_CHECKING:
    from core.clients.central.client import CentralClient


class FormService:
    """Forms of the client's project: create/publish, drafts, versions, attachments."""

    def __init__(self, client: CentralClient) -> None:
        self.client = client

    def _base(self, project_id: int | None) -> str:
        return f"/projects/{project_id or self.client.project_id}/forms"

    def list(self, project_id: int | None = None) -> list[CentralForm]:
        """Every form of the project."""
        return [CentralForm.from_json(f) for f in self.client.get_json(self._base(project_id))]

    def get(self, form_id: str, project_id: int | None = None) -> CentralForm:
        """One form's published state."""
        path = f"{self._base(project_id)}/{quote(form_id, safe='')}"
        return CentralForm.from_json(self.client.get_json(path))

    def create(
        self, xform: bytes, *, publish: bool = True, project_id: int | None = None
    ) -> CentralForm:
        """Create a form from XForm XML; raises CentralDuplicateForm (409.3) if the id exists."""
        response = self.client.request(
            "POST",
            self._base(project_id),
            params={"publish": "true" if publish else "false"},
            data=xform,
            headers={"Content-Type": "application/xml"},
        )
        return CentralForm.from_json(response.json())

    def create_draft(
        self, form_id: str, xform: bytes | None = None, *, project_id: int | None = None
    ) -> None:
        """Start (or replace) the draft: with XML, a new definition; without, a copy."""
        path = f"{self._base(project_id)}/{quote(form_id, safe='')}/draft"
        if xform is None:
            self.client.request("POST", path)
        else:
            self.client.request(
                "POST", path, data=xform, headers={"Content-Type": "application/xml"}
            )

    def publish_draft(
        self, form_id: str, version: str | None = None, *, project_id: int | None = None
    ) -> CentralForm:
        """Publish the draft, optionally setting its version; 409.6 if the version was used."""
        path = f"{self._base(project_id)}/{quote(form_id, safe='')}/draft/publish"
        params = {"version": version} if version is not None else None
        self.client.request("POST", path, params=params)
        return self.get(form_id, project_id=project_id)

    def upload_draft_attachment(
        self,
        form_id: str,
        name: str,
        content: bytes,
        *,
        content_type: str = "text/csv",
        project_id: int | None = None,
    ) -> None:
        """Upload one media file the draft expects (`jr://file…/<name>`)."""
        path = (
            f"{self._base(project_id)}/{quote(form_id, safe='')}/draft/attachments/"
            f"{quote(name, safe='')}"
        )
        self.client.request("POST", path, data=content, headers={"Content-Type": content_type})

    def draft_attachments(
        self, form_id: str, *, project_id: int | None = None
    ) -> list[FormAttachment]:
        """Media files the draft expects."""
        path = f"{self._base(project_id)}/{quote(form_id, safe='')}/draft/attachments"
        return [FormAttachment.from_json(a) for a in self.client.get_json(path)]

    def attachments(self, form_id: str, *, project_id: int | None = None) -> list[FormAttachment]:
        """Media files of the published version."""
        path = f"{self._base(project_id)}/{quote(form_id, safe='')}/attachments"
        return [FormAttachment.from_json(a) for a in self.client.get_json(path)]

    def download_attachment(
        self, form_id: str, name: str, *, project_id: int | None = None
    ) -> bytes:
        """The content of one media file of the published version."""
        path = (
            f"{self._base(project_id)}/{quote(form_id, safe='')}/attachments/{quote(name, safe='')}"
        )
        return self.client.request("GET", path).content

    def publish(
        self,
        form_id: str,
        xform: bytes,
        *,
        version: str | None = None,
        attachments: Mapping[str, bytes] | None = None,
        project_id: int | None = None,
    ) -> CentralForm:
        """Publish XForm XML as the form's current version, creating the form if it is new.

        With attachments, the form is created unpublished (a draft) so its media are uploaded
        before anyone can download it. Re-running after a failure finishes the job: an
        existing form goes through draft + publish.
        """
        try:
            form = self.create(xform, publish=not attachments, project_id=project_id)
            if not attachments:
                return form
        except CentralDuplicateForm:
            self.create_draft(form_id, xform, project_id=project_id)
        for name, content in (attachments or {}).items():
            self.upload_draft_attachment(
                form_id, name, content, content_type=_media_type(name), project_id=project_id
            )
        return self.publish_draft(form_id, version, project_id=project_id)


def _media_type(name: str) -> str:
    lower = name.lower()
    for suffix, kind in (
        (".csv", "text/csv"),
        (".xml", "application/xml"),
        (".geojson", "application/geo+json"),
        (".png", "image/png"),
        (".jpg", "image/jpeg"),
    ):
        if lower.endswith(suffix):
            return kind
    return "application/octet-stream"
