"""The weekly digest: one message per recipient about its wilayah, queued in the outbox."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.domain.alerts.digest import DigestItem, TierChange, summarize
from core.domain.rules import Rules
from core.domain.wilayah import region_name
from core.store import alerts as store
from core.store.models import DomainEvent, Recipient, utcnow
from core.store.scores import in_wilayah
from core.usecases.alerts import LINK, place_of, reference

WEEK = timedelta(days=7)


def iso_week(moment: datetime) -> str:
    """`2026-W49`: the ISO week a moment falls in."""
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def _place(desa: str, lang: str, rules: Rules) -> str:
    place = place_of(desa)
    kind = rules.messages.word(lang, place["desa_kind"])
    return f"{kind} {place['desa']} (Kec. {place['kecamatan']})"


def _items(
    session: Session, wilayah: str, since: datetime, lang: str, rules: Rules
) -> list[DigestItem]:
    items = []
    for alert in store.alerts_in(session, wilayah, since):
        created = _aware(alert.created_at)
        state = "closed" if alert.status == "closed" else "new" if created >= since else "open"
        items.append(
            DigestItem(
                _place(alert.desa_code, lang, rules),
                alert.kind,
                state,
                reference(alert.id),
                alert.urgent,
            )
        )
    return items


def _tier_changes(
    session: Session, wilayah: str, since: datetime, lang: str, rules: Rules
) -> list[TierChange]:
    rows = session.scalars(
        select(DomainEvent)
        .where(
            DomainEvent.kind == "imp_tier_changed",
            DomainEvent.created_at >= since,
            in_wilayah(DomainEvent.desa_code, wilayah),
        )
        .order_by(DomainEvent.id)
    )
    # Per IMP and period, the week's first tier before and last tier after: a tier assessed
    # for the first time (a new month's, from None) is not a change in itself, only where it
    # went from there; a tier that went back where it was by the end of the week did not
    # change either.
    spans: dict[tuple[str, str], list[Any]] = {}
    for e in rows:
        key = (e.payload["imp"], e.payload.get("period") or "")
        if key in spans:
            spans[key][2] = e.payload["to"]
        else:
            before = e.payload.get("from")
            spans[key] = [e.desa_code, before or e.payload["to"], e.payload["to"]]
    return [
        TierChange(_place(desa, lang, rules), imp, before, after, period)
        for (imp, period), (desa, before, after) in spans.items()
        if desa and before != after
    ]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


def build_digests(session: Session, rules: Rules, now: datetime | None = None) -> list[int]:
    """Queue this week's digest for every active recipient with something to report.

    Idempotent per ISO week: a recipient who has this week's digest gets no second one.
    Returns the new deliveries' ids. Does not commit.
    """
    from core.store.models import Digest

    now = now or utcnow()
    week, since = iso_week(now), now - WEEK
    new_ids: list[int] = []
    for recipient in store.recipients(session):
        if store.digest_for(session, recipient.id, week) is not None:
            continue
        messages = {}
        counted = 0
        for lang in ("id", "en"):
            items = _items(session, recipient.wilayah_code, since, lang, rules)
            tiers = _tier_changes(session, recipient.wilayah_code, since, lang, rules)
            counted = len(items) + len(tiers)
            rendered = rules.messages.render(
                "digest",
                lang,
                {
                    "penerima": recipient.name,
                    "wilayah": _wilayah_name(recipient),
                    "minggu": week,
                    "ringkasan": summarize(items, tiers, lang, rules.messages),
                    "link": LINK,
                },
            )
            messages[lang] = {"subject": rendered.subject, "body": rendered.body}
        if not counted:
            continue  # nothing new, open or closed in its wilayah: no message this week
        digest = Digest(
            recipient_id=recipient.id,
            week=week,
            text_id=messages["id"]["body"],
            text_en=messages["en"]["body"],
            payload={"messages": messages, "items": counted},
        )
        session.add(digest)
        session.flush()
        new_ids += store.add_deliveries(session, None, [recipient.id], digest_id=digest.id)
    return new_ids


def _wilayah_name(recipient: Recipient) -> str:
    return region_name(recipient.wilayah_code) or recipient.wilayah_code
