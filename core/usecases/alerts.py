"""Raise, close and follow up alerts (the outbox: written with the finding, sent later).

Each alert and its deliveries are written in the same unit of work as the finding that caused
it, and sent later by `deliver_alerts`.

The steps here run from `core.usecases.jobs.EVENTS` when processing records a domain event:
`family_assessed` / `family_withdrawn` (a survey scored or withdrawn) and `imp_tier_changed`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from core.domain.alerts import (
    Audience,
    Finding,
    family_findings,
    immediate_recipients,
    tier_change_finding,
    tier_drop_key,
    undetermined,
)
from core.domain.errors import PantauError
from core.domain.privacy import blank_numbers
from core.domain.rules import Rules
from core.domain.wilayah import region_name
from core.store import alerts as store
from core.store import scores
from core.store.db import advisory_lock
from core.store.models import Alert, Family, utcnow
from core.usecases.assessments import Step

NEW_DELIVERIES = "pantau.new_deliveries"
LINK = "{link}"
REFERRALS = ("dirujuk", "diterima", "ditindaklanjuti")


class AlertError(PantauError):
    """An alert command that cannot be done (unknown alert, unknown status)."""

    bad_input = True


def reference(alert_id: int) -> str:
    """The short case reference people quote (on the phone, in a referral letter)."""
    return f"PNT-{alert_id:06d}"


def place_of(desa: str) -> dict[str, str]:
    """Names of a desa/kelurahan and its kecamatan for a message (Kemendagri, offline)."""
    # The last segment's first digit: 1 for a kelurahan, 2 for a desa.
    kind = "kelurahan" if desa.rsplit(".", 1)[-1].startswith("1") else "desa"
    return {
        "desa": region_name(desa) or desa,
        "desa_kind": kind,
        "kecamatan": region_name(desa.rsplit(".", 1)[0]) or "-",
    }


# -- families ----------------------------------------------------------------------------------


def alert_family(step: Step, event: dict[str, Any]) -> None:
    """Raise what the family's current survey shows; close what it no longer shows."""
    session, rules = step.session, step.rules
    family = session.get(Family, event["family_id"])
    if family is None:
        return
    advisory_lock(session, f"alerts:family:{family.id}")
    latest = scores.latest_risk_assessment(session, family.id)
    findings: list[Finding] = []
    unknown: set[str] = set()
    if latest is not None:
        newly_krs = (
            bool(event.get("newly_krs")) and latest.submission_id == event.get("submission_id")
        ) or _never_alerted_krs(session, latest.details)
        findings = family_findings(latest.details, rules.alerts, newly_krs=newly_krs)
        unknown = undetermined(latest.details)  # not measured this time: stays as it was
    current = {f.key for f in findings}
    moved: set[str] = set()  # findings still present, announced again where the family lives
    for alert in store.open_alerts(session, family_id=family.id):
        if alert.finding_key not in current and alert.finding_key not in unknown:
            _close(alert, "temuan tidak ada lagi pada survei terbaru / finding no longer present")
        elif alert.desa_code != family.desa_code:
            _follow(alert, family, current, moved)
    _raise(
        step,
        [f for f in findings if f.new or f.key in moved],
        family.desa_code,
        Audience.FAMILY,
        family_id=family.id,
        rw=family.rw,
        rt=family.rt,
        submission_id=latest.submission_id if latest else None,
        surveyed_on=latest.surveyed_on.isoformat() if latest and latest.surveyed_on else "-",
        fresh=moved,
    )


def _never_alerted_krs(session: Session, assessment: dict[str, Any]) -> bool:
    """A KRS family that never had its krs_baru alert: news, whenever it became KRS.

    A re-score (new thresholds in krs.toml) changes families' KRS without raising alerts, and
    such a family is no longer "newly" KRS at its next survey: without this it would never be
    announced.
    """
    if not assessment.get("krs"):
        return False
    return store.last_alert(session, f"krs_baru:{assessment.get('family') or ''}") is None


def _follow(alert: Alert, family: Family, current: set[str], moved: set[str]) -> None:
    """An open alert of a family that moved goes with it to the TPPS of the desa it lives in.

    A finding the latest survey still shows is closed where it was and raised again there (a
    message to the new desa's TPPS); one it did not measure moves as it is, in their list.
    """
    if alert.finding_key in current:
        to = place_of(family.desa_code)["desa"]
        _close(alert, f"keluarga pindah ke {to} / the family moved to {to}")
        moved.add(alert.finding_key)
    else:
        alert.desa_code, alert.rw, alert.rt = family.desa_code, family.rw, family.rt


# -- IMPs --------------------------------------------------------------------------------------


def first_tier(event: dict[str, Any]) -> bool:
    """An IMP-period's first tier: nothing dropped, and no drop of it was ever alerted to close."""
    return event.get("from") is None


def alert_tier_change(step: Step, event: dict[str, Any]) -> None:
    """A dropped tier goes to the IMP's PKB/PLKB; a tier back up closes that alert."""
    if first_tier(event):
        return
    imp, period = event["imp"], event["period"]
    finding = tier_change_finding(imp, period, event.get("from"), event["to"], step.rules.alerts)
    if finding is None:
        key = tier_drop_key(imp, period)
        for alert in store.open_alerts(step.session, finding_key=key):
            _close(alert, "tingkat IMP naik lagi / the IMP's tier went back up")
        return
    desa = scores.imp_desa(step.session, imp)
    if desa is None:
        return
    _raise(step, [finding], desa, Audience.IMP, imp_code=imp)


# -- raising and closing ------------------------------------------------------------------------


def _deduped(session: Session, finding: Finding, rules: Rules) -> bool:
    last = store.last_alert(session, finding.key)
    if last is None:
        return False
    created = (
        last.created_at
        if last.created_at.tzinfo
        else last.created_at.replace(tzinfo=utcnow().tzinfo)
    )
    return last.status == "open" or utcnow() - created < timedelta(days=rules.alerts.window_days)


def _raise(
    step: Step,
    findings: list[Finding],
    desa: str,
    audience: Audience,
    fresh: Collection[str] = (),
    **where: Any,
) -> list[Alert]:
    """One alert per new finding, and ONE message about them all to each recipient.

    A survey that finds a stunted child and a newly KRS family is one visit to one family: its
    TPPS gets one message listing both (each with its case reference), not one per finding.
    `fresh`: keys raised whatever dedupe says (a moved family's, closed where it was).
    """
    session, rules = step.session, step.rules
    findings = [f for f in findings if f.key in fresh or not _deduped(session, f, rules)]
    if not findings:
        return []
    surveyed_on = where.pop("surveyed_on", "-")
    alerts = []
    for finding in findings:
        alert = Alert(
            finding_key=finding.key,
            kind=finding.kind,
            urgent=finding.urgent,
            desa_code=desa,
            text_id="",
            text_en="",
            payload={"values": finding.values, "rules_version": rules.alerts.version},
            status="open",
            **where,
        )
        session.add(alert)
        alerts.append(alert)
    session.flush()
    lead = alerts[0]
    texts = {
        lang: render_alerts(alerts, findings, rules, lang, surveyed_on) for lang in ("id", "en")
    }
    for alert in alerts:
        alert.text_id, alert.text_en = texts["id"]["body"], texts["en"]["body"]
        alert.payload = {**alert.payload, "messages": texts, "message_of": lead.id}
    targets = immediate_recipients(store.recipient_views(session), desa, audience)
    ids = store.add_deliveries(session, lead.id, [r.id for r in targets])
    session.info.setdefault(NEW_DELIVERIES, []).extend(ids)
    return alerts


def render_alerts(
    alerts: list[Alert], findings: list[Finding], rules: Rules, lang: str, surveyed_on: str = "-"
) -> dict[str, str]:
    """Subject and body of one message about one or more alerts of one place, in one language.

    The link is left as LINK: the public URL is the sender's to know (`with_link`).
    """
    messages = rules.messages
    lead = alerts[0]
    place = place_of(lead.desa_code)
    parts = []
    for alert, finding in zip(alerts, findings, strict=True):
        values = {**finding.values, "imp": alert.imp_code or "-"}
        parts.append(messages.finding_texts(finding.kind, lang, values))
    many = len(parts) > 1
    found = "\n".join(
        (f"{n}. " if many else "") + f"{p['temuan']} ({reference(a.id)})"
        for n, (p, a) in enumerate(zip(parts, alerts, strict=True), start=1)
    )
    todo = "\n".join(f"- {action}" for action in dict.fromkeys(p["tindakan"] for p in parts))
    title = ", ".join(dict.fromkeys(p["judul"] for p in parts))
    outer = {
        "judul": title,
        "temuan": found,
        "tindakan": todo,
        "urgent": any(f.urgent for f in findings),
        "desa": place["desa"],
        "desa_jenis": messages.word(lang, place["desa_kind"]),
        "kecamatan": place["kecamatan"],
        "rw": lead.rw or "-",
        "rt": lead.rt or "-",
        "tanggal": surveyed_on,
        "ref": reference(lead.id),
        "link": LINK,
        "imp": lead.imp_code or "-",
        "periode": findings[0].values.get("periode", "-"),
    }
    rendered = messages.render("imp_alert" if lead.imp_code else "alert", lang, outer)
    return {"subject": rendered.subject, "body": rendered.body}


def with_link(text: str, public_url: str, path: str) -> str:
    """A stored text with its link filled in for sending."""
    return text.replace(LINK, f"{public_url.rstrip('/')}{path}")


def _close(alert: Alert, reason: str) -> None:
    alert.status, alert.closed_at, alert.closed_reason = "closed", utcnow(), reason


# -- follow-up ----------------------------------------------------------------------------------


def set_referral(
    session: Session, alert_id: int, status: str, by: str, note: str | None = None
) -> Alert:
    """Record a referral status (dirujuk, diterima, ditindaklanjuti) with who and when."""
    if status not in REFERRALS:
        raise AlertError(f"status {status!r} is not one of {', '.join(REFERRALS)}")
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise AlertError(f"no alert {alert_id}")
    # A note is free text, from the dashboard or the CLI: a KK number or NIK typed into it
    # must not be stored or shown.
    store.add_status_change(session, alert, status, by, blank_numbers(note) if note else None)
    return alert


def alert_row(alert: Alert) -> dict[str, Any]:
    """What listings show of an alert (no identity: the family is its pseudonymous id)."""
    place = place_of(alert.desa_code)
    return {
        "id": alert.id,
        "ref": reference(alert.id),
        "kind": alert.kind,
        "urgent": alert.urgent,
        "desa": alert.desa_code,
        "desa_name": place["desa"],
        "kecamatan": place["kecamatan"],
        "rw": alert.rw,
        "rt": alert.rt,
        "imp": alert.imp_code,
        "status": alert.status,
        "closed_reason": alert.closed_reason,
        "referral": alert.referral,
        "referral_by": alert.referral_by,
        "referral_at": alert.referral_at.isoformat() if alert.referral_at else None,
        "created_at": alert.created_at.isoformat(),
    }
