"""Who may call which route: every view declares its access, checked before it runs.

`@access("user", reads="family")` on a view says who may call it (public, any signed-in user,
admins) and what it reads; `install_access()` refuses to start an app with a route that
declares nothing, so a new route cannot skip authentication, and the scoping test enumerates
`app.url_map` against the same declarations. The user is found from `Authorization: Bearer
TOKEN` (API and pages) or the dashboard's session cookie (pages only); cookie-authenticated
form posts carry the session's CSRF token.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, g, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask.wrappers import Request

from core.domain.access import same_secret
from core.store.models import utcnow
from core.usecases.users import Principal, by_session, by_token
from service.db import get_session
from service.errors import ApiError

PUBLIC, USER, ADMIN = "public", "user", "admin"
UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Access:
    """A route's declaration: who may call it, what it reads, whether it is a dashboard page."""

    level: str
    reads: str = ""
    page: bool = False


def access(level: str, reads: str = "", page: bool = False) -> Callable[[Any], Any]:
    """Declare who may call a view (public, user, admin) and what it reads."""
    if level not in (PUBLIC, USER, ADMIN):
        raise ValueError(f"unknown access level {level!r}")

    def mark(view: Any) -> Any:
        view.pantau_access = Access(level, reads, page)
        return view

    return mark


def declared(app: Flask) -> dict[str, Access]:
    """Every endpoint's access; RuntimeError naming any route that declares none."""
    table: dict[str, Access] = {}
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            table[rule.endpoint] = Access(PUBLIC, "static files")
            continue
        found = getattr(app.view_functions[rule.endpoint], "pantau_access", None)
        if found is None:
            missing.append(rule.rule)
        else:
            table[rule.endpoint] = found
    if missing:
        raise RuntimeError(f"routes without an @access declaration: {', '.join(missing)}")
    return table


def install_access(app: Flask) -> None:
    """Check every request against its route's declaration before the view runs."""
    table = declared(app)
    app.extensions["pantau.access"] = table

    @app.before_request
    def _check() -> Any:
        rule = table.get(request.endpoint or "")
        if rule is None or rule.level == PUBLIC:
            return None
        principal = _bearer() or (_from_cookie() if rule.page else None)
        if principal is None:
            if rule.page and request.accept_mimetypes.accept_html:
                if request.method == "GET":
                    back = request.full_path.rstrip("?")
                    return redirect(url_for("dashboard.login_form", next=back))
                # A form posted after the session lapsed (a phone left on the inbox for a
                # day): sign in again and land back on the page it was posted from. The tap
                # itself is not replayed: it is made again, knowingly.
                return redirect(url_for("dashboard.login_form", next=_posted_from()), code=303)
            raise ApiError(401, "sign in, or send Authorization: Bearer TOKEN", "unauthorized")
        if rule.level == ADMIN and not principal.is_admin:
            raise ApiError(403, "only an admin may use this", "forbidden")
        g.principal = principal
        return None


def _posted_from() -> str | None:
    """The path (and query) of this site's page a form was posted from, from its Referer."""
    came = urlsplit(request.referrer or "")
    if came.netloc and came.netloc != request.host:
        return None
    return (came.path + (f"?{came.query}" if came.query else "")) or None


def principal() -> Principal:
    """The signed-in user of this request (routes declared `user` or `admin` only)."""
    return g.principal


def _bearer() -> Principal | None:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    db = get_session()
    found = by_token(db, header[7:].strip())
    if found is None:
        db.rollback()
        raise ApiError(401, "unknown or revoked token", "unauthorized")
    g.auth = "token"
    db.commit()  # the token's last use
    return found


def _from_cookie() -> Principal | None:
    uid, epoch = session.get("uid"), session.get("epoch")
    if not isinstance(uid, int) or not isinstance(epoch, int):
        return None
    found = by_session(get_session(), uid, epoch)
    if found is None:
        session.clear()
        return None
    g.auth = "session"
    if request.method in UNSAFE:
        check_csrf()
    return found


def csrf_token() -> str:
    """The session's CSRF token (made on first use), for the forms of a page."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def check_csrf() -> None:
    """Refuse a form post whose CSRF token is not this session's."""
    given = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token", "")
    if not same_secret(given, session.get("csrf", "")):
        raise ApiError(400, "the form expired: reload the page and try again", "csrf")


def sign_in(user: Principal) -> None:
    """Start a dashboard session for user (a fresh session: no fixation)."""
    session.clear()
    session.permanent = True
    session["uid"], session["epoch"] = user.user_id, user.session_epoch
    session["csrf"] = secrets.token_urlsafe(32)


# Paths only machines call (Kobo's REST Services): never a dashboard session.
MACHINE_PATHS = ("/webhooks/",)


class _PagesOnlySessions(SecureCookieSessionInterface):
    """The dashboard's signed cookie session, not opened for the machine paths.

    A delivery never carries a session; opening one (the signer, the cookie parse) cost a few
    per cent of a delivery's CPU. The null session there refuses writes, so a view that
    starts using the session on those paths fails loudly instead of setting cookies.
    """

    def open_session(self, app: Flask, request: Request) -> SessionMixin | None:
        if request.path.startswith(MACHINE_PATHS):
            return self.make_null_session(app)
        return super().open_session(app, request)


def configure_sessions(app: Flask, public_url: str) -> None:
    """Session cookie: HttpOnly, SameSite=Lax, Secure behind https, twelve hours."""
    app.session_interface = _PagesOnlySessions()
    app.config.update(
        SESSION_COOKIE_NAME="pantau_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=urlsplit(public_url).scheme == "https",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
    )


def safe_next(target: str | None) -> str:
    """A post-login redirect that stays on this site: one of its paths, else the overview."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        # Browsers drop tabs and newlines from a URL ("/<TAB>/evil.com" goes to evil.com),
        # and a control character in a Location header fails the answer: no path has one.
        or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target)
    ):
        return url_for("dashboard.overview")
    return target


def actor() -> str:
    """The audit name of this request's user."""
    return principal().username


def now_iso() -> str:
    """Now, for page footers."""
    return utcnow().isoformat(timespec="seconds")


def settings() -> Any:
    """The app's settings."""
    return current_app.extensions["pantau.settings"]
