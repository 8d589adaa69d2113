"""One interface for every channel an alert leaves by; the error type says whether to retry."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import requests

from core.domain.errors import PantauError


class ChannelError(PantauError):
    """Sending failed; the message says why (never the message's text)."""


class ChannelRetryable(ChannelError):
    """May succeed later: the server is down, busy (429, 5xx, SMTP 4xx) or timed out."""

    retryable = True


class ChannelPermanent(ChannelError):
    """Will fail the same way again: a bad address, a refused token, any other 4xx or SMTP 5xx."""


class ChannelNotConfigured(ChannelPermanent):
    """The channel's settings are missing (e.g. PANTAU_WA_URL for whatsapp)."""


@dataclass(frozen=True)
class Outgoing:
    """One message for one recipient."""

    address: str
    subject: str
    body: str
    # Stable per delivery, so a receiver can drop a repeat after a crash between send and record.
    message_id: str
    data: dict[str, Any] = field(default_factory=dict)


class Channel(Protocol):
    """Something that can deliver an Outgoing message, or raise a ChannelError."""

    name: str

    def send(self, message: Outgoing) -> None:
        """Deliver message or raise ChannelRetryable / ChannelPermanent."""


def raise_for_http(response: requests.Response, what: str) -> None:
    """429 and 5xx may pass; any other 4xx will not."""
    status = response.status_code
    if status < 400:
        return
    detail = f"{what} answered {status}"
    if status == 429 or status >= 500:
        raise ChannelRetryable(detail)
    raise ChannelPermanent(detail)


def post_json(
    session: requests.Session, url: str, what: str, timeout: float, **kwargs: Any
) -> requests.Response:
    """POST with one attempt: the outbox owns retries, so a channel never retries by itself."""
    try:
        response = session.post(url, timeout=timeout, **kwargs)
    except requests.Timeout as exc:
        raise ChannelRetryable(f"{what}: no answer within {timeout} s") from exc
    except requests.ConnectionError as exc:
        raise ChannelRetryable(f"{what}: cannot connect") from exc
    except requests.RequestException as exc:
        raise ChannelPermanent(f"{what}: {exc.__class__.__name__}") from exc
    raise_for_http(response, what)
    return response
