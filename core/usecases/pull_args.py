"""What a pull is asked for: where to start (`--since`) and the settings it needs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from core.clients.central import Watermark
from core.domain.errors import PantauError

if TYPE_CHECKING:
    from config.settings import Settings


class BadSince(PantauError):
    """A `--since` that is neither a record id nor a date or time."""

    bad_input = True


Since = int | datetime


def parse_since(text: str | None, server: str = "kobo") -> Since | None:
    """`--since` as a Kobo record id (`_id`) or a UTC date/time; BadSince when it is neither.

    ODK Central has no record ids, so only a date or time is accepted there.
    """
    if text is None:
        return None
    value = text.strip()
    if value.isascii() and value.isdigit():
        if server == "central":
            raise BadSince(f"--since {text!r}: ODK Central has no record ids; give a date")
        return int(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadSince(
            f"--since {text!r} is neither a record id (e.g. 1200) nor a date or time "
            "(e.g. 2026-11-01 or 2026-11-01T08:00, UTC)"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def missing_pull_settings(settings: Settings, server: str) -> list[str]:
    """The settings a pull from server needs and lacks, one message each."""
    if server == "central":
        needed = {
            "PANTAU_CENTRAL_URL": settings.central_url,
            "PANTAU_CENTRAL_EMAIL": settings.central_email,
            "PANTAU_CENTRAL_PASSWORD": settings.central_password.get_secret_value(),
        }
    else:
        needed = {
            "PANTAU_KOBO_URL": settings.kobo_url,
            "PANTAU_KOBO_TOKEN": settings.kobo_token.get_secret_value(),
        }
    return [f"{name} is not set" for name, value in needed.items() if not value]


def mark_after_since(
    mark: str | None, seen: Watermark | None, since: datetime, read: int
) -> Watermark | None:
    """After a Central `--since` pull: the stored mark, unless the feed saw something later.

    A feed starts at `since`, so with nothing read its watermark is `since` itself: storing it
    (a date in the future, say) would make every later pull miss what came before it. So would
    a `since` after the stored mark: what lies between them was not read.
    """
    stored = Watermark.from_json(mark) if mark else None
    if not read or seen is None:
        return stored
    if stored is not None and (stored.changed_at >= seen.changed_at or since > stored.changed_at):
        return stored
    return seen
