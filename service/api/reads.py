"""API routes any signed-in user may call; every one reads through the user's scope."""

from __future__ import annotations

from flask import jsonify, request

from core.usecases.browse import alerts, families, imps, overview, places
from core.usecases.browse.errors import BadQuery
from service.access import PUBLIC, USER, access, principal, settings
from service.api import bp
from service.api.openapi import document
from service.common import audited, listing, paging, request_scope
from service.db import get_session


@bp.get("/openapi.json")
@access(PUBLIC, reads="the API description")
def openapi():
    """The OpenAPI 3 document of this API."""
    return jsonify(document())


@bp.get("/me")
@access(USER, reads="the user itself")
def me():
    """Who the token belongs to: name, role and wilayah."""
    user = principal()
    return jsonify(
        {
            "name": user.username,
            "role": user.role,
            "wilayah": list(user.areas),
            "sees_families": user.scope.families,
        }
    )


@bp.get("/overview")
@access(USER, reads="wilayah, tiers, KRS counts")
def overview_view():
    """Tiers per kecamatan/kelurahan and KRS families by factor, within scope."""
    return jsonify(overview.overview(get_session(), request_scope()))


@bp.get("/wilayah")
@access(USER, reads="wilayah")
def wilayah_list():
    """Loaded regions within scope, by code."""
    page = places.wilayah_list(
        get_session(),
        request_scope(),
        parent=request.args.get("parent"),
        level=request.args.get("level"),
        **paging(),
    )
    return listing(page)


@bp.get("/wilayah/<code>")
@access(USER, reads="wilayah")
def wilayah_detail(code: str):
    """One region within scope, with its children."""
    return jsonify(places.wilayah_detail(get_session(), principal().scope, code))


@bp.get("/imps")
@access(USER, reads="imp")
def imp_list():
    """IMPs within scope with their current tier."""
    return listing(
        imps.imp_list(get_session(), request_scope(), query=request.args.to_dict(), **paging())
    )


@bp.get("/imps/<code>")
@access(USER, reads="imp")
def imp_detail(code: str):
    """One IMP: tier history and one period's six roles with explanation and evidence."""
    period = request.args.get("period") or None
    return jsonify(imps.imp_detail(get_session(), principal().scope, code, period))


@bp.get("/families")
@access(USER, reads="family")
def family_list():
    """Families at risk within scope (pseudonymous keys only); the read is audited."""
    page = families.family_list(
        get_session(), request_scope(), query=request.args.to_dict(), **paging()
    )
    audited("family.list", count=len(page.items))
    return listing(page)


@bp.get("/families/<key>")
@access(USER, reads="family")
def family_detail(key: str):
    """One family's surveys and alerts; the read is audited."""
    data = families.family_detail(get_session(), principal().scope, key)
    audited("family.read", key)
    return jsonify(data)


@bp.get("/alerts")
@access(USER, reads="alert")
def alert_list():
    """Alerts within scope, newest first."""
    return listing(
        alerts.alert_list(get_session(), request_scope(), query=request.args.to_dict(), **paging())
    )


@bp.get("/alerts/<int:alert_id>")
@access(USER, reads="alert")
def alert_detail(alert_id: int):
    """One alert with its texts and referral history."""
    return jsonify(
        alerts.alert_detail(get_session(), principal().scope, alert_id, settings().public_url)
    )


@bp.patch("/alerts/<int:alert_id>")
@access(USER, reads="alert")
def alert_update(alert_id: int):
    """Set an alert's referral status (dirujuk, diterima, ditindaklanjuti)."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise BadQuery('body: a JSON object such as {"referral": "dirujuk"}')
    db = get_session()
    scope = principal().scope
    alerts.update_referral(
        db, scope, alert_id, body.get("referral"), principal().username, body.get("note")
    )
    audited("alert.referral", str(alert_id), referral=body.get("referral"))
    return jsonify(alerts.alert_detail(db, scope, alert_id, settings().public_url))
