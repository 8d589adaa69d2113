"""The dashboard: server-rendered pages in Bahasa Indonesia (English on request), phone-sized.

Pages read through the same use cases as the API, in the signed-in user's scope.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, request, url_for

from core.domain.privacy import blank_numbers
from service.access import csrf_token
from service.dashboard.i18n import COOKIE, LANGS, current_lang, translate

bp = Blueprint("dashboard", __name__)


@bp.app_context_processor
def _words() -> dict[str, Any]:
    lang = current_lang()

    def switch_url() -> str:
        args = {**(request.view_args or {}), **request.args.to_dict()}
        args["lang"] = "en" if lang == "id" else "id"
        url = url_for(request.endpoint or "dashboard.overview", **args)
        # A page asked for by a KK/NIK (typed into the address) does not echo it back: the
        # switch goes to the overview instead.
        if blank_numbers(url) != url:
            return url_for("dashboard.overview", lang=args["lang"])
        return url

    return {
        "lang": lang,
        "t": lambda key: translate(key, lang),
        "user": g.get("principal"),
        "csrf_token": csrf_token,
        "switch_url": switch_url,
    }


@bp.after_app_request
def _remember_lang(response: Any) -> Any:
    asked = request.args.get("lang")
    if asked in LANGS and request.cookies.get(COOKIE) != asked:
        response.set_cookie(COOKIE, asked, max_age=365 * 86400, samesite="Lax", httponly=True)
    return response


from service.dashboard import admin_pages, auth_pages, pages  # noqa: E402,F401
