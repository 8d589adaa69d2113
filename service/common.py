"""What the API and the dashboard share: the scope of a request, pages, audited reads."""

from __future__ import annotations

from typing import Any

from flask import jsonify, request, url_for

from core.domain.access import Scope
from core.usecases.audit import record
from core.usecases.browse.paging import Page, limit_of
from core.usecases.browse.places import scope_filter
from service.access import principal
from service.db import get_session


def request_scope() -> Scope:
    """The signed-in user's scope, narrowed by a `?wilayah=` filter (404 outside it)."""
    return scope_filter(principal().scope, request.args.get("wilayah") or None)


def paging() -> dict[str, Any]:
    """The cursor and page size a listing request asks for."""
    return {
        "cursor": request.args.get("cursor") or None,
        "limit": limit_of(request.args.get("limit")),
    }


def next_url(page: Page) -> str | None:
    """The URL of the next page: this request's URL with the next cursor."""
    if page.next is None:
        return None
    args = {**(request.view_args or {}), **request.args.to_dict(), "cursor": page.next}
    return url_for(request.endpoint, **args)


def audited(action: str, target: str = "", **detail: Any) -> None:
    """Record that this request read family data, and commit it with the request."""
    db = get_session()
    filters = {k: v for k, v in request.args.items() if k not in ("cursor", "lang")}
    record(db, principal().username, action, target, filters=filters or None, **detail)
    db.commit()


def listing(page: Page) -> Any:
    """A page as the API answers it: `{"items": [...], "next": url|null}`."""
    return jsonify({"items": page.items, "next": next_url(page)})
