"""The channels alerts leave by: e-mail (SMTP), WhatsApp/SMS gateway, Telegram, signed webhook."""

from core.clients.channels.base import (
    Channel,
    ChannelError,
    ChannelNotConfigured,
    ChannelPermanent,
    ChannelRetryable,
    Outgoing,
)
from core.clients.channels.http_channels import (
    GatewayChannel,
    TelegramChannel,
    WebhookChannel,
    signature,
)
from core.clients.channels.smtp import SmtpChannel, SmtpServer

CHANNELS = ("email", "whatsapp", "telegram", "webhook")

__all__ = [
    "CHANNELS",
    "Channel",
    "ChannelError",
    "ChannelNotConfigured",
    "ChannelPermanent",
    "ChannelRetryable",
    "GatewayChannel",
    "Outgoing",
    "SmtpChannel",
    "SmtpServer",
    "TelegramChannel",
    "WebhookChannel",
    "signature",
]
