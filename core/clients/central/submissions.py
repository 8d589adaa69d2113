"""Central submissions: the OData feed, incremental pulls (`changes`), the trash, REST calls."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

from core.clients.central.models import CentralSubmission, SubmissionPage, SubmissionResult
from core.clients.central.odata import format_time, odata_query, parse_time

if TYPE_CHECKING:
    from core.clients.central.client import CentralClient


@dataclass(frozen=True)
class Watermark:
    """Where an incremental pull stopped: the latest change time and the versions seen at it.

    `ge` re-reads rows at the boundary millisecond (several rows can share it), so the versions
    already seen there are kept and skipped next time.
    """

    changed_at: datetime
    seen: frozenset[tuple[str, str]] = frozenset()

    def to_json(self) -> str:
        """Serialise for storage between pulls."""
        return json.dumps(
            {"changed_at": format_time(self.changed_at), "seen": sorted(list(k) for k in self.seen)}
        )

    @classmethod
    def from_json(cls, text: str) -> Watermark:
        """Read back what `to_json` wrote."""
        data = json.loads(text)
        changed = parse_time(data["changed_at"])
        assert changed is not None
        return cls(changed, frozenset((a, b) for a, b in data.get("seen", [])))


class ChangeFeed:
    """An incremental pull: iterate for new and edited submissions, then read `watermark`.

    Central leaves `updatedAt` null until a submission is first edited or reviewed, so the
    filter asks for either time at or after the mark. `ge` re-reads the boundary rows; the
    versions the previous pull saw there are skipped here, so callers need not dedupe. Store
    `watermark` only after the loop finished (and what it yielded is stored).
    """

    def __init__(
        self,
        service: SubmissionService,
        form_id: str,
        since: Watermark | None,
        *,
        page_size: int,
        expand: bool,
        project_id: int | None,
    ) -> None:
        self._service = service
        self._form_id = form_id
        self._since = since
        self._page_size = page_size
        self._expand = expand
        self._project_id = project_id
        self.pages_read = 0
        self.skipped = 0
        self._latest = since.changed_at if since else None
        self._seen_at_latest: set[tuple[str, str]] = set(since.seen) if since else set()

    @property
    def watermark(self) -> Watermark | None:
        """Where the next pull should start (None if nothing was ever seen)."""
        if self._latest is None:
            return None
        return Watermark(self._latest, frozenset(self._seen_at_latest))

    def __iter__(self) -> Iterator[CentralSubmission]:
        since = self._since
        odata_filter = None
        if since is not None:
            t = format_time(since.changed_at)
            odata_filter = f"__system/updatedAt ge {t} or __system/submissionDate ge {t}"
        pages = self._service.iter_pages(
            self._form_id,
            filter=odata_filter,
            orderby="__system/submissionDate asc",
            top=self._page_size,
            expand=self._expand,
            project_id=self._project_id,
        )
        for page in pages:
            self.pages_read += 1
            for row in page.value:
                sub = CentralSubmission.from_odata(row)
                if (
                    since is not None
                    and sub.changed_at == since.changed_at
                    and sub.key in since.seen
                ):
                    self.skipped += 1
                    continue
                self._advance(sub)
                yield sub

    def _advance(self, sub: CentralSubmission) -> None:
        if self._latest is None or sub.changed_at > self._latest:
            self._latest = sub.changed_at
            self._seen_at_latest = {sub.key}
        elif sub.changed_at == self._latest:
            self._seen_at_latest.add(sub.key)


class SubmissionService:
    """Submissions of a form: the OData feed (paged lazily), and REST create/edit."""

    def __init__(self, client: CentralClient) -> None:
        self.client = client

    def _form(self, form_id: str, project_id: int | None) -> str:
        return f"/projects/{project_id or self.client.project_id}/forms/{quote(form_id, safe='')}"

    def iter_pages(
        self,
        form_id: str,
        *,
        filter: str | None = None,
        orderby: str | None = None,
        top: int | None = 1000,
        expand: bool = False,
        select: str | None = None,
        count: bool = False,
        project_id: int | None = None,
    ) -> Iterator[SubmissionPage]:
        """Yield pages of `Submissions`, following `@odata.nextLink`; one page in memory at once."""
        query = odata_query(
            {
                "$filter": filter,
                "$orderby": orderby,
                "$top": top,
                "$expand": "*" if expand else None,
                "$select": select,
                "$count": "true" if count else None,
            }
        )
        url = f"{self._form(form_id, project_id)}.svc/Submissions?{query}"
        for data in self.client.iter_json_pages(url, next_key="@odata.nextLink"):
            yield SubmissionPage(
                value=data.get("value", []),
                next_link=data.get("@odata.nextLink"),
                count=data.get("@odata.count"),
            )

    def changes(
        self,
        form_id: str,
        since: Watermark | None = None,
        *,
        page_size: int = 1000,
        expand: bool = True,
        project_id: int | None = None,
    ) -> ChangeFeed:
        """Pull new and edited submissions since the watermark (all of them if None)."""
        return ChangeFeed(
            self, form_id, since, page_size=page_size, expand=expand, project_id=project_id
        )

    def deleted_ids(self, form_id: str, *, project_id: int | None = None) -> list[str]:
        """`__id` of every submission in Central's trash (deleted, not yet purged).

        Deleted rows leave the default feed and keep their `updatedAt`: only a filter naming
        `__system/deletedAt` shows them.
        """
        pages = self.iter_pages(
            form_id,
            filter="__system/deletedAt ne null",
            select="__id,__system/deletedAt",
            project_id=project_id,
        )
        return [row["__id"] for page in pages for row in page.value]

    def live_count(self, form_id: str, *, project_id: int | None = None) -> int:
        """How many submissions the form has outside the trash."""
        query = odata_query({"$top": 0, "$count": "true"})
        data = self.client.get_json(f"{self._form(form_id, project_id)}.svc/Submissions?{query}")
        return int(data.get("@odata.count") or 0)

    def live_ids(self, form_id: str, *, project_id: int | None = None) -> list[str]:
        """`__id` of every submission outside the trash (a light manifest)."""
        pages = self.iter_pages(form_id, select="__id", project_id=project_id)
        return [row["__id"] for page in pages for row in page.value]

    def delete(self, form_id: str, instance_id: str, *, project_id: int | None = None) -> None:
        """Move a submission to the trash (Central purges it after 30 days)."""
        path = f"{self._form(form_id, project_id)}/submissions/{quote(instance_id, safe='')}"
        self.client.request("DELETE", path)

    def restore(self, form_id: str, instance_id: str, *, project_id: int | None = None) -> None:
        """Bring a submission back from the trash."""
        path = f"{self._form(form_id, project_id)}/submissions/{quote(instance_id, safe='')}"
        self.client.request("POST", f"{path}/restore")

    def create(
        self, form_id: str, xml: bytes, *, project_id: int | None = None
    ) -> SubmissionResult:
        """Create a submission from instance XML (REST, as tests and the demo do)."""
        response = self.client.request(
            "POST",
            f"{self._form(form_id, project_id)}/submissions",
            data=xml,
            headers={"Content-Type": "application/xml"},
        )
        return SubmissionResult.from_json(response.json())

    def edit(
        self, form_id: str, instance_id: str, xml: bytes, *, project_id: int | None = None
    ) -> SubmissionResult:
        """Replace a submission: the XML has a new instanceID and deprecatedID = the current one."""
        response = self.client.request(
            "PUT",
            f"{self._form(form_id, project_id)}/submissions/{quote(instance_id, safe='')}",
            data=xml,
            headers={"Content-Type": "application/xml"},
        )
        return SubmissionResult.from_json(response.json())

    def get(
        self, form_id: str, instance_id: str, *, project_id: int | None = None
    ) -> SubmissionResult:
        """One submission's REST metadata."""
        path = f"{self._form(form_id, project_id)}/submissions/{quote(instance_id, safe='')}"
        return SubmissionResult.from_json(self.client.get_json(path))
