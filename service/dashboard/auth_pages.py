"""Sign in and out of the dashboard (password, rate-limited, CSRF-checked)."""

from __future__ import annotations

from flask import redirect, render_template, request, session, url_for

from core.usecases.users import LoginRefused, login
from service.access import PUBLIC, USER, access, check_csrf, safe_next, sign_in
from service.dashboard import bp
from service.db import get_session


@bp.get("/login")
@access(PUBLIC, reads="nothing", page=True)
def login_form():
    """The sign-in form."""
    return render_template("login.html", next=request.args.get("next", ""), error=None)


@bp.post("/login")
@access(PUBLIC, reads="nothing", page=True)
def login_submit():
    """Check a user name and password; five failures in 15 minutes pause that user here."""
    check_csrf()
    db = get_session()
    target = request.form.get("next", "")
    try:
        user = login(
            db,
            request.form.get("username", "")[:80],
            request.form.get("password", "")[:1024],
            request.remote_addr or "-",
        )
    except LoginRefused as exc:
        db.commit()  # the failure counts even though the login did not happen
        status = 429 if exc.limited else 401
        return render_template("login.html", next=target, error=str(exc)), status
    db.commit()
    sign_in(user)
    return redirect(safe_next(target))


@bp.post("/logout")
@access(USER, reads="nothing", page=True)
def logout():
    """End this dashboard session."""
    session.clear()
    return redirect(url_for("dashboard.login_form"))
