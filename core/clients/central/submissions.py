"""Central submissions: the OData feed, incremental pulls (`changes`), the trash, REST calls."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

from core.clients.central.models import CentralSubmission, SubmissionPage, SubmissionResult
from core.clients.central.odata import format_time, odata_query, parse_time

if TYPE_CHECKING:
    from core.clients.central.client import CentralClient

log = logging.getLogger(__name__)

# How far before the server's clock at the first page a pull's mark stops (see ChangeFeed):
# what changed in these minutes is read again by the next pull, and skipped if already seen.
SETTLE = timedelta(minutes=5)
# Clocks further apart than this are worth a line in the log (NTP keeps them within a second).
CLOCK_SKEW_WARNING = timedelta(minutes=1)


def _first_page_time(asked_at: datetime, server_time: datetime | None) -> datetime:
    """The earlier of our clock before the first request and the server's `Date` for it.

    Central stamps changes with its database's clock, which its `Date` normally shares; if
    either clock runs ahead, the earlier one keeps the mark from passing unseen changes.
    """
    if server_time is None:
        log.warning("ODK Central sent no usable Date header; the pull's mark uses our clock")
        return asked_at
    if abs(server_time - asked_at) > CLOCK_SKEW_WARNING:
        log.warning(
            "ODK Central's clock and ours differ by %s; the pull's mark uses the earlier one",
            server_time - asked_at,
        )
    return min(server_time, asked_at)


def _date_header(value: str | None) -> datetime | None:
    """The HTTP `Date` header as an aware datetime; None if absent or unreadable."""
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Watermark:
    """Where an incremental pull stopped: a change time and the versions seen at or after it.

    The next pull asks for changes at or after `changed_at` (`ge`) and skips the versions in
    `seen`: those at the boundary millisecond (several rows can share it), and every version
    seen in the settling window before the pull began (see ChangeFeed).
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
    filter asks for either time at or after the mark. Pages come in Central's default order
    (newest first), each from the `@odata.nextLink` Central wrote: Central refuses `$orderby`
    with its own skip token (501.1), so no order is asked for.

    Paging takes a while and the feed changes meanwhile: a submission made or edited after the
    first page was read may be missed by later pages, while an older row edited then is seen
    with its new time. So the mark never passes the clock at the first page (the earlier of
    Central's `Date` and ours) less `settle`, which also covers transactions that began before
    it and committed after, and clocks a little apart; every version seen since then is kept
    in `seen`, so the next pull reads that window again and yields only what it missed.
    `settle=None` trusts the latest change seen (tests of the boundary). Store `watermark`
    only after the loop finished (and what it yielded is stored). A page that is not JSON is
    a CentralPermanentError, as on Kobo's pages.
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
        settle: timedelta | None = SETTLE,
    ) -> None:
        self._service = service
        self._form_id = form_id
        self._since = since
        self._page_size = page_size
        self._expand = expand
        self._project_id = project_id
        self._settle = settle
        self.pages_read = 0
        self.skipped = 0
        self._latest = since.changed_at if since else None
        self._at_latest: set[tuple[str, str]] = set(since.seen) if since else set()
        self._horizon: datetime | None = None
        self._recent: set[tuple[str, str]] = set()

    @property
    def watermark(self) -> Watermark | None:
        """Where the next pull should start (None if nothing was ever seen)."""
        if self._latest is None:
            return None
        if self._horizon is None or self._latest <= self._horizon:
            return Watermark(self._latest, frozenset(self._at_latest))
        return Watermark(self._horizon, frozenset(self._recent))

    def __iter__(self) -> Iterator[CentralSubmission]:
        since = self._since
        odata_filter = None
        if since is not None:
            t = format_time(since.changed_at)
            odata_filter = f"__system/updatedAt ge {t} or __system/submissionDate ge {t}"
        pages = self._service.iter_pages(
            self._form_id,
            filter=odata_filter,
            top=self._page_size,
            expand=self._expand,
            project_id=self._project_id,
        )
        asked_at = datetime.now(UTC)
        for page in pages:
            if self.pages_read == 0 and self._settle is not None:
                self._horizon = _first_page_time(asked_at, page.server_time) - self._settle
            self.pages_read += 1
            for row in page.value:
                sub = CentralSubmission.from_odata(row)
                self._advance(sub)
                if since is not None and sub.key in since.seen:
                    self.skipped += 1  # this version was yielded by an earlier pull
                    continue
                yield sub

    def _advance(self, sub: CentralSubmission) -> None:
        changed = sub.changed_at
        if self._latest is None or changed > self._latest:
            self._latest = changed
            self._at_latest = {sub.key}
        elif changed == self._latest:
            self._at_latest.add(sub.key)
        if self._horizon is not None and changed >= self._horizon:
            self._recent.add(sub.key)


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
        for data, response in self.client.iter_json_responses(url, next_key="@odata.nextLink"):
            yield SubmissionPage(
                value=data.get("value", []),
                next_link=data.get("@odata.nextLink"),
                count=data.get("@odata.count"),
                server_time=_date_header(response.headers.get("Date")),
            )

    def changes(
        self,
        form_id: str,
        since: Watermark | None = None,
        *,
        page_size: int = 1000,
        expand: bool = True,
        project_id: int | None = None,
        settle: timedelta | None = SETTLE,
    ) -> ChangeFeed:
        """Pull new and edited submissions since the watermark (all of them if None)."""
        return ChangeFeed(
            self,
            form_id,
            since,
            page_size=page_size,
            expand=expand,
            project_id=project_id,
            settle=settle,
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
