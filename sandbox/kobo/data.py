"""Kpi's data API: `/api/v2/assets/<uid>/data/` with query, sort, fields and paging."""

from __future__ import annotations

import json
import threading
from collections import deque
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, Response, request

from sandbox.kobo.auth import need_api
from sandbox.kobo.query import InvalidJson, QueryError, match, sort_docs
from sandbox.kobo.responses import current_sandbox, detail, json_response
from sandbox.kobo.serializers import get_asset

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000

bp = Blueprint("data", __name__)


class PageLog:
    """The pages of the data API served, newest last: which `_id` each asked after.

    Sandbox-only, for tests (`GET /__sandbox__/data/pages`): a pull resumed after a crash
    must ask for the records after its committed cursor, not from the start again. Kpi keeps
    no such log; its access log would show the same.
    """

    def __init__(self, size: int = 10_000) -> None:
        self._lock = threading.Lock()
        self._pages: deque[dict[str, Any]] = deque(maxlen=size)
        self._seq = 0

    def add(self, asset_uid: str, after: int | None, start: int, page: list[dict]) -> None:
        """Record one page served (`after`: N of the pull's `_id` > N question, else None)."""
        ids = [d.get("_id") for d in page]
        with self._lock:
            self._seq += 1
            self._pages.append(
                {
                    "seq": self._seq,
                    "asset": asset_uid,
                    "after": after,
                    "start": start,
                    "records": len(page),
                    "first_id": ids[0] if ids else None,
                    "last_id": ids[-1] if ids else None,
                }
            )

    def pages(self, asset_uid: str | None = None) -> list[dict[str, Any]]:
        """The pages recorded (of one asset when given), oldest first."""
        with self._lock:
            return [dict(p) for p in self._pages if asset_uid in (None, p["asset"])]

    def clear(self) -> None:
        """Forget every page (a sandbox reset)."""
        with self._lock:
            self._pages.clear()


def parse_json_param(name: str, default: Any, kind: type) -> Any:
    """A JSON query parameter (`query`, `sort`, `fields`) of the expected type."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise InvalidJson(name) from exc
    if not isinstance(value, kind):
        raise QueryError(f"`{name}` must be a JSON {kind.__name__}")
    return value


def int_param(name: str, default: int, minimum: int) -> int | Response:
    """An integer query parameter, or DRF's 400 when it is below `minimum` or not a number."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value < minimum:
        word = "positive" if minimum > 0 else "non-negative"
        return json_response({name: [f"A {word} integer is required"]}, 400)
    return value


def page_link(start: int, limit: int) -> str:
    """The URL of this request moved to another page."""
    parts = urlsplit(request.url)
    params = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k not in ("start", "limit")
    ]
    params.append(("limit", str(limit)))
    if start > 0:
        params.append(("start", str(start)))
    return urlunsplit(parts._replace(query=urlencode(params)))


def project(doc: dict, fields: list[str]) -> dict:
    """Only the requested `fields` of a record."""
    # kpi always adds these; Mongo returns _id unless it is excluded.
    wanted = set(fields) | {"_id", "_uuid", "meta/rootUuid", "_validation_status"}
    return {k: v for k, v in doc.items() if k in wanted}


@bp.get("/api/v2/assets/<uid>/data/")
@need_api()
def data_list(uid: str) -> Response:
    """One page of the asset's submissions."""
    asset = get_asset(uid)
    if asset is None:
        return detail(404, "Not found.")
    fmt = request.args.get("format", "json")
    if fmt not in ("json", "api"):
        return detail(406, "Could not satisfy the request Accept header.")
    limit = int_param("limit", DEFAULT_LIMIT, 1)
    if isinstance(limit, Response):
        return limit
    start = int_param("start", 0, 0)
    if isinstance(start, Response):
        return start
    limit = min(limit, MAX_LIMIT)  # silently capped, as kpi does
    try:
        query = parse_json_param("query", {}, dict)
        sort = parse_json_param("sort", {"_id": 1}, dict) or {"_id": 1}
        fields = parse_json_param("fields", [], list)
        after = _keyset(query, sort)
        if after is not None and start == 0:
            # The pull's own question (a page of `_id` > N by `_id`) asked of the database,
            # as kpi asks Mongo: matching every record in Python for every page made a
            # 100,000-record backfill quadratic, and the sandbox the slowest part of it.
            count, page = current_sandbox().store.submissions_after(uid, after, limit)
        else:
            docs = [d for d in current_sandbox().store.submissions(uid) if match(d, query)]
            docs = sort_docs(docs, sort)
            count, page = len(docs), docs[start : start + limit]
    except InvalidJson as exc:
        # kpi's serializer error, a string (not DRF's usual list), as a real kpi answers.
        return json_response({exc.name: "Value must be valid JSON."}, 400)
    except QueryError as exc:
        return detail(400, str(exc))
    current_sandbox().pages.add(uid, after if start == 0 else None, start, page)
    if fields:
        page = [project(d, fields) for d in page]
    nxt = page_link(start + limit, limit) if start + limit < count else None
    prev = page_link(max(start - limit, 0), limit) if start > 0 else None
    return json_response({"count": count, "next": nxt, "previous": prev, "results": page})


def _keyset(query: dict, sort: dict) -> int | None:
    """N when the query is exactly `{"_id": {"$gt": N}}` sorted by `_id` ascending."""
    cond = query.get("_id") if list(query) == ["_id"] else None
    if sort != {"_id": 1} or not isinstance(cond, dict) or list(cond) != ["$gt"]:
        return None
    after = cond["$gt"]
    return after if isinstance(after, int) and not isinstance(after, bool) else None


@bp.route("/api/v2/assets/<uid>/data/<int:sub_id>/", methods=["GET", "DELETE"])
@need_api()
def data_detail(uid: str, sub_id: int) -> Response:
    """One submission, or its deletion."""
    if get_asset(uid) is None:
        return detail(404, "Not found.")
    store = current_sandbox().store
    with store.lock:
        doc = store.get_submission(sub_id, uid)
        if doc is None:
            return detail(404, "Not found.")
        if request.method == "DELETE":
            store.delete_submission(sub_id, uid)
            return Response(status=204)
    if request.args.get("format", "json") not in ("json", "api"):
        return detail(406, "Could not satisfy the request Accept header.")
    return json_response(doc)


@bp.get("/api/v2/assets/<uid>/data/<int:sub_id>/attachments/<auid>/")
@need_api()
def attachment(uid: str, sub_id: int, auid: str) -> Response:
    """A submission attachment's bytes."""
    store = current_sandbox().store
    doc = store.get_submission(sub_id, uid)
    att = next((a for a in (doc or {}).get("_attachments", []) if a["uid"] == auid), None)
    data = store.get_blob("att:" + auid)
    if att is None or data is None:
        return detail(404, "Not found.")
    return Response(data, content_type=att["mimetype"])
