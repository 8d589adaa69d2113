"""Who is calling: kpi's token or Basic auth for the API, kobocat's looser check for OpenRosa."""

from __future__ import annotations

import base64
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Response, g, request

from sandbox.kobo.responses import current_sandbox, detail, openrosa_response, page
from sandbox.kobo.util import new_hex


def api_user() -> str | None | Response:
    """The kpi user of this request, None when anonymous, or the 401 for bad credentials."""
    config = current_sandbox().config
    header = request.headers.get("Authorization", "")
    if not header:
        return None
    kind, _, cred = header.partition(" ")
    if kind.lower() == "token":
        if cred.strip() == config.token:
            return config.owner
        return detail(401, "Invalid token.")
    if kind.lower() == "basic":
        user = basic_user(cred)
        if user == config.owner:
            return user
        return detail(401, "Invalid username/password.")
    return detail(401, "Invalid token header. No credentials provided.")


def basic_user(cred: str) -> str | None:
    """The user a Basic credential names, if its password is right."""
    config = current_sandbox().config
    try:
        name, _, pw = base64.b64decode(cred.strip()).decode().partition(":")
    except ValueError:
        return None
    known = {config.owner: config.owner_password, **config.users}
    return name if known.get(name) == pw and name else None


def need_api(anonymous: str = "404") -> Callable[[Callable], Callable]:
    """Token auth for kpi endpoints: anonymous gets 404 (or 401) as kpi answers."""

    def wrap(fn: Callable) -> Callable:
        @wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            user = api_user()
            if isinstance(user, Response):
                return user
            if user is None:
                if anonymous == "404":
                    return detail(404, "Not found.")
                if anonymous == "empty":
                    return page([])
                return detail(401, "Authentication credentials were not provided.")
            g.user = user
            return fn(*args, **kwargs)

        return inner

    return wrap


def openrosa_user() -> str | None:
    """The user of an OpenRosa request (token or Basic), None when unauthenticated."""
    config = current_sandbox().config
    header = request.headers.get("Authorization", "")
    kind, _, cred = header.partition(" ")
    if kind.lower() == "token" and cred.strip() == config.token:
        return config.owner
    if kind.lower() == "basic":
        return basic_user(cred)
    return None


def challenge() -> Response:
    """Kobocat's 401 with a Digest challenge, which makes clients retry with credentials."""
    resp = openrosa_response(401, "Authentication required")
    nonce = new_hex()
    resp.headers["WWW-Authenticate"] = (
        f'Digest realm="DJANGO", qop="auth", nonce="{nonce}", opaque="{new_hex()}", '
        'algorithm="MD5", stale="FALSE"'
    )
    return resp
