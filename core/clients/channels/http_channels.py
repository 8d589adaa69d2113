"""Channels over HTTP: a WhatsApp/SMS gateway, the Telegram Bot API, a signed webhook."""

from __future__ import annotations

import hashlib
import hmac
import json

import requests

from core.clients.channels.base import ChannelNotConfigured, Outgoing, post_json


def _text(message: Outgoing) -> str:
    return f"{message.subject}\n\n{message.body}"


class GatewayChannel:
    """A WhatsApp/SMS gateway taking a JSON POST with a token, as Indonesian gateways do.

    Fonnte, Wablas and their kind take the token in the `Authorization` header and the phone
    number and text as two JSON fields, whose names differ by gateway (configurable).
    """

    name = "whatsapp"

    def __init__(
        self,
        url: str,
        token: str,
        *,
        phone_field: str = "target",
        text_field: str = "message",
        timeout: float = 20.0,
    ) -> None:
        if not url or not token:
            raise ChannelNotConfigured("PANTAU_WA_URL and PANTAU_WA_TOKEN must be set")
        self.url, self.token, self.timeout = url, token, timeout
        self.phone_field, self.text_field = phone_field, text_field
        self.session = requests.Session()

    def send(self, message: Outgoing) -> None:
        """POST {phone_field: address, text_field: subject + body}."""
        post_json(
            self.session,
            self.url,
            "WhatsApp gateway",
            self.timeout,
            json={self.phone_field: message.address, self.text_field: _text(message)},
            headers={"Authorization": self.token},
        )


class TelegramChannel:
    """The Telegram Bot API's `sendMessage` to a chat id."""

    name = "telegram"

    def __init__(
        self, token: str, api_url: str = "https://api.telegram.org", timeout: float = 20.0
    ) -> None:
        if not token:
            raise ChannelNotConfigured("PANTAU_TELEGRAM_TOKEN must be set")
        self.url = f"{api_url.rstrip('/')}/bot{token}/sendMessage"
        self.timeout = timeout
        self.session = requests.Session()

    def send(self, message: Outgoing) -> None:
        """POST {chat_id, text}; 429 (with retry_after) and 5xx are retried by the outbox."""
        post_json(
            self.session,
            self.url,
            "Telegram",
            self.timeout,
            json={"chat_id": message.address, "text": _text(message)},
        )


def signature(secret: str, body: bytes) -> str:
    """`sha256=<hex>` of HMAC-SHA256(secret, body): what X-Pantau-Signature carries."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookChannel:
    """A JSON POST to the recipient's URL, signed so the receiver knows it came from us."""

    name = "webhook"

    def __init__(self, secret: str, timeout: float = 20.0) -> None:
        if not secret:
            raise ChannelNotConfigured("PANTAU_ALERT_WEBHOOK_SECRET must be set")
        self.secret, self.timeout = secret, timeout
        self.session = requests.Session()

    def send(self, message: Outgoing) -> None:
        """POST the alert as JSON with `X-Pantau-Signature: sha256=…` over the exact body."""
        body = json.dumps(
            {
                "id": message.message_id,
                "subject": message.subject,
                "text": message.body,
                **message.data,
            },
            ensure_ascii=False,
        ).encode("utf-8")
        post_json(
            self.session,
            message.address,
            "alert webhook",
            self.timeout,
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-Pantau-Signature": signature(self.secret, body),
            },
        )
