"""Kobo submissions (the data API): lazy pages, keyset paging, the `_id`/`_uuid` manifest."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from core.clients.kobo.models import ManifestEntry, SubmissionPage

if TYPE_CHECKING:
    from core.clients.kobo.client import KoboClient

# Kobo silently caps `limit` at 1,000; asking for more only hides how many pages there are.
MAX_PAGE_SIZE = 1000


class DataService:
    """`/api/v2/assets/<uid>/data/`: submissions, paged with `start`/`limit`."""

    def __init__(self, client: KoboClient) -> None:
        self.client = client

    def iter_pages(
        self,
        asset_uid: str,
        query: Mapping[str, Any] | None = None,
        fields: Sequence[str] | None = None,
        sort: Mapping[str, int] | None = None,
        page_size: int = MAX_PAGE_SIZE,
        start: int = 0,
    ) -> Iterator[SubmissionPage]:
        """Yield pages lazily, following `next`: one page in memory, fetched when asked for.

        `page_size` is capped at 1,000 (Kobo caps `limit` silently). Incremental pulls:
        `query={"_id": {"$gt": last}}`, `sort={"_id": 1}`.
        """
        if page_size < 1:
            raise ValueError("page_size must be positive")
        params: dict[str, Any] = {
            "format": "json",
            "limit": min(page_size, MAX_PAGE_SIZE),
        }
        if start:
            params["start"] = start
        if query is not None:
            params["query"] = json.dumps(query, separators=(",", ":"))
        if fields is not None:
            params["fields"] = json.dumps(list(fields), separators=(",", ":"))
        if sort is not None:
            params["sort"] = json.dumps(dict(sort), separators=(",", ":"))
        for data in self.client.iter_json_pages(f"/api/v2/assets/{asset_uid}/data/", params):
            yield SubmissionPage(
                count=int(data.get("count") or 0),
                results=list(data.get("results") or []),
                next=data.get("next"),
                previous=data.get("previous"),
            )

    def iter_submissions(
        self,
        asset_uid: str,
        query: Mapping[str, Any] | None = None,
        fields: Sequence[str] | None = None,
        sort: Mapping[str, int] | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> Iterator[dict[str, Any]]:
        """Yield submissions one by one, a page fetched only when the previous one is used up."""
        for page in self.iter_pages(asset_uid, query, fields, sort, page_size):
            yield from page.results

    def iter_new(
        self, asset_uid: str, after_id: int = 0, page_size: int = MAX_PAGE_SIZE
    ) -> Iterator[dict[str, Any]]:
        """Submissions with `_id` greater than `after_id`, oldest first (no edits: see manifest)."""
        return self.iter_submissions(
            asset_uid, query={"_id": {"$gt": after_id}}, sort={"_id": 1}, page_size=page_size
        )

    def iter_after(
        self,
        asset_uid: str,
        after_id: int = 0,
        query: Mapping[str, Any] | None = None,
        fields: Sequence[str] | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> Iterator[SubmissionPage]:
        """Yield pages of records with `_id` > after_id, each page asked for by `_id`.

        Keyset paging: `next` links page by offset (`start=`), so a record deleted on the
        server while we page would shift the rest and one record would never be seen.
        """
        last = after_id
        while True:
            page = next(
                self.iter_pages(
                    asset_uid,
                    query={**(query or {}), "_id": {"$gt": last}},
                    fields=fields,
                    sort={"_id": 1},
                    page_size=page_size,
                )
            )
            yield page
            if not page.results or page.next is None:
                return
            last = max(int(r["_id"]) for r in page.results)

    def manifest(self, asset_uid: str, page_size: int = MAX_PAGE_SIZE) -> Iterator[ManifestEntry]:
        """Yield (`_id`, `_uuid`) of every submission, the light list to find edits and deletes.

        A changed `_uuid` is an edit; an `_id` gone is a (hard) delete.
        """
        for page in self.iter_after(asset_uid, 0, fields=["_id", "_uuid"], page_size=page_size):
            for sub in page.results:
                yield ManifestEntry(int(sub["_id"]), str(sub["_uuid"]))

    def get_submission(self, asset_uid: str, submission_id: int) -> dict[str, Any]:
        """One submission by `_id`."""
        return self.client.get_json(f"/api/v2/assets/{asset_uid}/data/{submission_id}/")

    def delete_submission(self, asset_uid: str, submission_id: int) -> None:
        """Hard-delete one submission (it then answers 404; its `_id` is never reused)."""
        self.client.request("DELETE", f"/api/v2/assets/{asset_uid}/data/{submission_id}/")
