"""Dashboard pages every signed-in user has: overview, IMPs, alerts, families, exports."""

from __future__ import annotations

from flask import Response, redirect, render_template, request, url_for

from core.usecases.browse import alerts, exports, families, imps, overview
from core.usecases.browse.overview import TIER_KEYS
from core.usecases.browse.paging import DEFAULT_LIMIT
from service.access import USER, access, principal, settings
from service.common import audited, next_url, request_scope
from service.dashboard import bp
from service.dashboard.charts import bars, stacked_tiers
from service.dashboard.i18n import current_lang, translate
from service.db import get_session


def _word(key: str) -> str:
    # A tier of "none" is an IMP not assessed yet, not an absence.
    return translate("not_assessed" if key == "none" else key, current_lang())


@bp.get("/", endpoint="overview")
@access(USER, reads="wilayah, tiers, KRS counts", page=True)
def overview_page():
    """Tiers per kecamatan/kelurahan and KRS families by factor, as charts."""
    data = overview.overview(get_session(), request_scope())
    tiers_chart = stacked_tiers(data["units"], _word("tier_dist"), _word, TIER_KEYS)
    factor_chart = bars(
        [(_word(f["factor"]), f["families"]) for f in data["krs_factors"]], _word("krs_by_factor")
    )
    return render_template(
        "overview.html", data=data, tiers_chart=tiers_chart, factor_chart=factor_chart
    )


@bp.get("/imps")
@access(USER, reads="imp", page=True)
def imp_list():
    """IMPs in scope with their current tier."""
    page = imps.imp_list(
        get_session(),
        request_scope(),
        cursor=request.args.get("cursor"),
        limit=DEFAULT_LIMIT,
        query=request.args.to_dict(),
    )
    return render_template("imps.html", page=page, next=next_url(page))


@bp.get("/imps/<code>")
@access(USER, reads="imp", page=True)
def imp_page(code: str):
    """One IMP: its tier history and the six roles explained."""
    data = imps.imp_detail(get_session(), principal().scope, code, request.args.get("period"))
    return render_template("imp.html", imp=data)


@bp.get("/alerts")
@access(USER, reads="alert", page=True)
def alert_inbox():
    """The alert inbox: open alerts first by default, with referral buttons."""
    query = request.args.to_dict()
    query.setdefault("status", "open")
    if query["status"] == "all":
        query.pop("status")
    page = alerts.alert_list(
        get_session(),
        request_scope(),
        cursor=request.args.get("cursor"),
        limit=DEFAULT_LIMIT,
        query=query,
    )
    return render_template(
        "alerts.html", page=page, next=next_url(page), status=request.args.get("status", "open")
    )


@bp.get("/alerts/<int:alert_id>")
@access(USER, reads="alert", page=True)
def alert_page(alert_id: int):
    """One alert (the link in every alert message) with its referral history."""
    data = alerts.alert_detail(get_session(), principal().scope, alert_id, settings().public_url)
    return render_template("alert.html", alert=data)


@bp.post("/alerts/<int:alert_id>/referral")
@access(USER, reads="alert", page=True)
def alert_referral(alert_id: int):
    """Set an alert's referral status from a button; back to where the button was."""
    db = get_session()
    alerts.update_referral(
        db,
        principal().scope,
        alert_id,
        request.form.get("referral"),
        principal().username,
        request.form.get("note") or None,
    )
    audited("alert.referral", str(alert_id), referral=request.form.get("referral"))
    back = request.form.get("back", "")
    if back == "inbox":
        return redirect(url_for("dashboard.alert_inbox") + f"#alert-{alert_id}", code=303)
    return redirect(url_for("dashboard.alert_page", alert_id=alert_id), code=303)


@bp.get("/families")
@access(USER, reads="family", page=True)
def family_list():
    """Families at risk in scope, by desa (audited)."""
    page = families.family_list(
        get_session(),
        request_scope(),
        cursor=request.args.get("cursor"),
        limit=DEFAULT_LIMIT,
        query=request.args.to_dict(),
    )
    audited("family.list", count=len(page.items))
    return render_template("families.html", page=page, next=next_url(page))


@bp.get("/families/<key>")
@access(USER, reads="family", page=True)
def family_page(key: str):
    """One family's surveys and alerts (audited)."""
    data = families.family_detail(get_session(), principal().scope, key)
    audited("family.read", key)
    return render_template("family.html", family=data)


@bp.get("/exports/<any(tiers, families):name>.<any(csv, xlsx):fmt>")
@access(USER, reads="tiers or families", page=True)
def export(name: str, fmt: str):
    """Tiers per IMP or KRS families as CSV or XLSX, within scope (audited)."""
    body = exports.export(get_session(), request_scope(), name, fmt)
    audited(f"export.{name}", fmt)
    kind = (
        "text/csv; charset=utf-8"
        if fmt == "csv"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    filename = f"pantau-{name}.{fmt}"
    return Response(
        body,
        content_type=kind,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
