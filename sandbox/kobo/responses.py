"""Answers shared by the Kobo sandbox's resource modules: DRF JSON, pages, OpenRosa XML."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from flask import Response, current_app, jsonify, request

if TYPE_CHECKING:
    from sandbox.kobo.app import Sandbox

OPENROSA_HEADERS = {
    "X-OpenRosa-Version": "1.0",
    "X-OpenRosa-Accept-Content-Length": "10000000",
}


def current_sandbox() -> Sandbox:
    """The `Sandbox` of the app serving this request."""
    return current_app.extensions["kobo_sandbox"]


def detail(status: int, message: str, **headers: str) -> Response:
    """DRF's error shape: `{"detail": message}`."""
    resp = jsonify({"detail": message})
    resp.status_code = status
    resp.headers.update(headers)
    return resp


def json_response(doc: Any, status: int = 200) -> Response:
    """`doc` as JSON with `status`."""
    resp = jsonify(doc)
    resp.status_code = status
    return resp


def page(results: list, status: int = 200) -> Response:
    """DRF's paginated list with everything on one page."""
    return json_response(
        {"count": len(results), "next": None, "previous": None, "results": results}, status
    )


def openrosa_response(status: int, message: str, nature: str = "", extra: str = "") -> Response:
    """Kobocat's `<OpenRosaResponse>` with the OpenRosa headers."""
    nature_attr = f' nature="{nature}"' if nature else ""
    body = (
        '<OpenRosaResponse xmlns="http://openrosa.org/http/response">'
        f"<message{nature_attr}>{escape(message)}</message>{extra}</OpenRosaResponse>"
    )
    return Response(
        body, status=status, content_type="text/xml; charset=utf-8", headers=OPENROSA_HEADERS
    )


def xml_response(xml: str, headers: dict[str, str] | None = None) -> Response:
    """An XML document (an XForm, a form list) as a 200."""
    return Response(xml, content_type="text/xml; charset=utf-8", headers=headers)


def base_url() -> str:
    """The sandbox's own URL, without the trailing slash, as links in bodies use it."""
    return request.url_root.rstrip("/")


def truthy(value: object) -> bool:
    """A form or JSON boolean the way DRF reads it."""
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1", "yes", "on")
