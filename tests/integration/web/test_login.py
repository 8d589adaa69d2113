"""Dashboard sign-in: hashed password, secure session cookie, CSRF on forms, rate limit."""

from __future__ import annotations

import re

from sqlalchemy import select

from core.store.models import User
from tests.conftest import make_settings
from tests.support.web import MELONG, PASSWORD, cli


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _login(client, username: str, password: str, next_: str = ""):
    form = client.get("/login").get_data(as_text=True)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": _csrf(form), "next": next_},
    )


def test_login__starts_an_httponly_samesite_secure_session_and_returns_to_next(district):
    _, app, world = district
    client = app.test_client()
    alert = world.alerts[MELONG][0]
    resp = _login(client, "tpps-melong", PASSWORD, f"/alerts/{alert}")
    assert resp.status_code == 302 and resp.headers["Location"] == f"/alerts/{alert}"
    cookie = next(c for c in resp.headers.getlist("Set-Cookie") if c.startswith("pantau_session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    page = client.get(f"/alerts/{alert}")
    assert page.status_code == 200 and "tpps-melong" in page.get_data(as_text=True)


def test_login__a_next_that_leaves_the_site_goes_to_the_overview(district):
    _, app, _ = district
    for away in ("//evil.com", "/\\evil.com", "https://evil.com", "/\t/evil.com", "/\n/evil.com"):
        resp = _login(app.test_client(), "tpps-melong", PASSWORD, away)
        assert (resp.status_code, resp.headers["Location"]) == (302, "/"), repr(away)


def test_session_cookie__is_not_secure_on_plain_http(tmp_path):
    from service.app import create_app

    app = create_app(make_settings(tmp_path, public_url="http://127.0.0.1:5000"))
    assert app.config["SESSION_COOKIE_SECURE"] is False
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    app.extensions["pantau.engine"].dispose()


def test_login__a_wrong_password_or_a_missing_csrf_token_is_refused(district):
    _, app, _ = district
    client = app.test_client()
    assert _login(client, "tpps-melong", "not-the-password").status_code == 401
    assert _login(client, "nobody", PASSWORD).status_code == 401
    no_csrf = client.post("/login", data={"username": "tpps-melong", "password": PASSWORD})
    assert no_csrf.status_code == 400
    assert client.get("/", headers={"Accept": "text/html"}).status_code == 302


def test_referral_button__needs_the_sessions_csrf_token(district):
    _, app, world = district
    client = app.test_client()
    _login(client, "tpps-melong", PASSWORD)
    alert = world.alerts[MELONG][0]
    forged = client.post(f"/alerts/{alert}/referral", data={"referral": "dirujuk"})
    assert forged.status_code == 400
    page = client.get("/alerts").get_data(as_text=True)
    ok = client.post(
        f"/alerts/{alert}/referral",
        data={"referral": "dirujuk", "csrf_token": _csrf(page), "back": "inbox"},
    )
    assert ok.status_code == 303 and ok.headers["Location"].endswith(f"/alerts#alert-{alert}")


def test_referral_button__after_the_session_lapsed_goes_to_the_login_and_back(district):
    _, app, world = district
    alert = world.alerts[MELONG][0]
    lapsed = app.test_client().post(
        f"/alerts/{alert}/referral",
        data={"referral": "dirujuk"},
        headers={"Accept": "text/html", "Referer": "http://localhost/alerts?status=open"},
    )
    assert lapsed.status_code == 303
    assert lapsed.headers["Location"] == "/login?next=/alerts?status%3Dopen"
    elsewhere = app.test_client().post(
        f"/alerts/{alert}/referral",
        data={"referral": "dirujuk"},
        headers={"Accept": "text/html", "Referer": "https://evil.example/x"},
    )
    assert (elsewhere.status_code, elsewhere.headers["Location"]) == (303, "/login")
    # A client of the API is still told 401, as before.
    api = app.test_client().post(f"/alerts/{alert}/referral", data={"referral": "dirujuk"})
    assert api.status_code == 401


def test_login__five_failures_pause_that_user_from_that_address(district):
    settings, app, _ = district
    cli(settings, "users", "add", "tpps-coba", "--role", "tpps", "--wilayah", MELONG)
    cli(settings, "users", "password", "tpps-coba", "--stdin", input=PASSWORD + "\n")
    client = app.test_client()
    for _ in range(5):
        assert _login(client, "tpps-coba", "wrong-password-1").status_code == 401
    limited = _login(client, "tpps-coba", PASSWORD)
    assert limited.status_code == 429
    assert "15" in limited.get_data(as_text=True)
    # another user from the same address is not held back
    assert _login(app.test_client(), "tpps-melong", PASSWORD).status_code == 302


def test_password_change_and_revoke__end_sessions_and_tokens(district):
    settings, app, _ = district
    cli(settings, "users", "add", "tpps-lama", "--role", "tpps", "--wilayah", MELONG)
    cli(settings, "users", "password", "tpps-lama", "--stdin", input=PASSWORD + "\n")
    token = cli(settings, "users", "token", "tpps-lama").stdout.strip()
    client = app.test_client()
    _login(client, "tpps-lama", PASSWORD)
    assert client.get("/").status_code == 200
    cli(settings, "users", "password", "tpps-lama", "--stdin", input="another-password-2\n")
    assert client.get("/", headers={"Accept": "text/html"}).status_code == 302
    api = app.test_client()
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    cli(settings, "users", "revoke", "tpps-lama")
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert _login(app.test_client(), "tpps-lama", "another-password-2").status_code == 401
    with app.extensions["pantau.sessions"]() as s:
        user = s.scalar(select(User).where(User.username == "tpps-lama"))
        assert user.password_hash is None and not user.active
        hashes = [u.password_hash for u in s.scalars(select(User)) if u.password_hash]
        assert hashes and all(h.startswith("$argon2id$") for h in hashes)


def test_session_cookie__is_left_alone_by_the_webhook_path(district):
    # Machine paths never open the dashboard session: a browser's cookie is neither read nor
    # refreshed there (a page refreshes it on every request).
    _, app, world = district
    client = app.test_client()
    _login(client, "tpps-melong", PASSWORD)
    page = client.get(f"/alerts/{world.alerts[MELONG][0]}")
    assert any(c.startswith("pantau_session=") for c in page.headers.getlist("Set-Cookie"))
    hook = client.post("/webhooks/kobo", data=b"{}", content_type="application/json")
    assert hook.status_code == 401  # a signed-in user is not a Kobo server
    assert hook.headers.getlist("Set-Cookie") == []
