"""Alerts as the web shows them (the inbox, one alert), and referral updates from the web."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from core.domain.access import Scope
from core.store import alerts as alert_store
from core.store import browse
from core.store.models import Alert, Family
from core.usecases.alerts import REFERRALS, alert_row, set_referral, with_link
from core.usecases.browse.errors import BadQuery, NotVisible
from core.usecases.browse.paging import BIGGEST_ID, Page, choice, decode_cursor, flag, page_of

STATUSES = ("open", "closed")


def _family_key(session: Session, alert: Alert) -> str | None:
    if alert.family_id is None:
        return None
    family = session.get(Family, alert.family_id)
    return family.family_key if family else None


def _row(session: Session, alert: Alert) -> dict[str, Any]:
    return {**alert_row(alert), "family": _family_key(session, alert)}


def alert_list(
    session: Session, scope: Scope, *, cursor: str | None, limit: int, query: dict[str, Any]
) -> Page:
    """Alerts inside scope, newest first; filters status, referral (or none), kind, urgent."""
    kind = query.get("kind") or None
    if kind is not None and (len(kind) > 40 or not kind.replace("_", "").isalnum()):
        raise BadQuery("kind: an alert kind such as anak_di_bawah_minus_2sd")
    filters = {
        "status": choice(query.get("status"), "status", STATUSES),
        "referral": choice(query.get("referral"), "referral", (*REFERRALS, "none")),
        "kind": kind,
        "urgent": flag(query.get("urgent"), "urgent"),
    }
    before = decode_cursor(cursor, int)
    rows = browse.alerts_page(session, scope=scope, before=before, limit=limit + 1, filters=filters)
    return page_of(rows, limit, lambda a: a.id, lambda a: _row(session, a))


def _visible(session: Session, scope: Scope, alert_id: int) -> Alert:
    alert = browse.alert_get(session, alert_id, scope=scope) if 0 < alert_id < BIGGEST_ID else None
    if alert is None:
        raise NotVisible(f"no alert {alert_id}")
    return alert


def alert_detail(session: Session, scope: Scope, alert_id: int, public_url: str) -> dict[str, Any]:
    """One alert inside scope with its message texts and its referral history."""
    alert = _visible(session, scope, alert_id)
    path = f"/alerts/{alert.id}"
    return {
        **_row(session, alert),
        "text_id": with_link(alert.text_id, public_url, path),
        "text_en": with_link(alert.text_en, public_url, path),
        "history": [
            {"status": c.status, "by": c.by, "note": c.note, "at": c.at.isoformat()}
            for c in alert_store.status_history(session, alert.id)
        ],
    }


def update_referral(
    session: Session, scope: Scope, alert_id: int, status: Any, by: str, note: Any = None
) -> None:
    """Set the referral status of an alert inside scope (who: the signed-in user)."""
    _visible(session, scope, alert_id)
    if status not in REFERRALS:
        raise BadQuery(f"referral: one of {', '.join(REFERRALS)}")
    if note is not None and (not isinstance(note, str) or len(note) > 500):
        raise BadQuery("note: text of at most 500 characters")
    set_referral(session, alert_id, status, by, note or None)  # blanks any KK/NIK in it
