"""The one bootstrap: what every adapter (tasks, CLI, web) builds from settings."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from config.settings import Settings
from core.clients.central import CentralClient
from core.clients.channels import (
    Channel,
    ChannelNotConfigured,
    GatewayChannel,
    SmtpChannel,
    SmtpServer,
    TelegramChannel,
    WebhookChannel,
)
from core.clients.kobo import KoboClient
from core.domain.privacy import Keyring
from core.domain.rules import Rules
from core.domain.scoring.errors import RulesError
from core.store.db import make_engine, make_session_factory
from core.usecases.delivery import RetryPolicy


@lru_cache(maxsize=4)
def _rules(rules_dir: Path) -> Rules:
    return Rules.load(rules_dir)


def rules_for(settings: Settings) -> Rules:
    """The rules files of settings.rules_dir (read once per process).

    A RulesError names the setting too: the admin fixes the file, or where it points.
    """
    try:
        return _rules(settings.rules_dir)
    except RulesError as exc:
        raise RulesError(f"{exc} (PANTAU_RULES_DIR={settings.rules_dir})") from exc


def keyring_for(settings: Settings) -> Keyring:
    """The pseudonym keys in force (previous ones first, then the current key)."""
    return Keyring(settings.pseudonym_keys)


def sessions_for(settings: Settings) -> sessionmaker[Session]:
    """A session factory on the configured database (one engine per call: cache per process)."""
    return make_session_factory(make_engine(settings))


def channel_for(settings: Settings) -> Callable[[str], Channel]:
    """The alert channels settings configure, built on first use by name."""
    built: dict[str, Channel] = {}
    timeout = settings.http_timeout

    def build(name: str) -> Channel:
        if name == "email":
            server = SmtpServer.from_url(settings.smtp_url.get_secret_value())
            return SmtpChannel(server, settings.mail_from, timeout=timeout)
        if name == "whatsapp":
            return GatewayChannel(
                settings.wa_url,
                settings.wa_token.get_secret_value(),
                phone_field=settings.wa_phone_field,
                text_field=settings.wa_text_field,
                timeout=timeout,
            )
        if name == "telegram":
            return TelegramChannel(
                settings.telegram_token.get_secret_value(), settings.telegram_api_url, timeout
            )
        if name == "webhook":
            return WebhookChannel(settings.alert_webhook_secret.get_secret_value(), timeout)
        raise ChannelNotConfigured(f"unknown channel {name!r}")

    def get(name: str) -> Channel:
        if name not in built:
            built[name] = build(name)
        return built[name]

    return get


def retry_policy(settings: Settings) -> RetryPolicy:
    """How the outbox retries failed deliveries."""
    return RetryPolicy(
        settings.alert_max_attempts, settings.alert_retry_base, settings.alert_retry_max
    )


def client_for(settings: Settings, server: str) -> KoboClient | CentralClient:
    """The client of a collection server ("kobo" or "central") named by settings."""
    if server == "central":
        return CentralClient.from_settings(settings)
    return KoboClient.from_settings(settings)
