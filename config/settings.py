"""One typed Settings object, read from `PANTAU_*` environment variables (and `.env`) once."""

from __future__ import annotations

import logging
import os
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The rules shipped with Pantau; a district points PANTAU_RULES_DIR at its own copy.
RULES_DIR = Path(__file__).resolve().parent / "rules"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

DEV_KEY = "dev-only-not-secret"
MIN_KEY_LENGTH = 32
# Values found in docs, tests, benchmarks and tutorials: public, so never a key outside
# development (a known pseudonym key makes every family key reversible by enumeration).
KNOWN_KEYS = frozenset(
    {DEV_KEY, "test-secret", "bench-secret", "secret", "changeme", "change-me", "password"}
)
log = logging.getLogger("pantau.settings")
_warned: set[str] = set()


class SettingsError(Exception):
    """A setting has a value Pantau cannot start with; the message names it."""


def _default_var() -> Path:
    # Relative paths, defaults included, resolve against the working directory, as `.env`
    # does (twelve-factor): one rule for every path an admin sets or leaves alone.
    return Path.cwd() / "var"


def _default_workers() -> int:
    return min(4, os.cpu_count() or 1)


class Settings(BaseSettings):
    """Everything Pantau reads from its environment. Defaults are the embedded ones."""

    model_config = SettingsConfigDict(
        env_prefix="PANTAU_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    var_dir: Path = Field(default_factory=_default_var)
    database_url: str = ""
    # FULL: a delivery answered 202 survives a power cut; NORMAL (WAL) may lose the last
    # commits, for a faster webhook (`make bench` prints both). PostgreSQL is unaffected.
    sqlite_synchronous: Literal["FULL", "NORMAL"] = "FULL"
    broker_url: str = ""
    secret_key: SecretStr = SecretStr(DEV_KEY)
    # Anything but an explicit `development` holds real family data and needs real keys.
    env: Literal["development", "test", "production"] = "production"
    log_level: str = "INFO"

    # Where rules files live (IMP rubric, KRS factors, alert routing); a district may point
    # this at its own copy.
    rules_dir: Path = RULES_DIR
    forms_dir: Path = Path("xlsforms")
    build_dir: Path = Path("build") / "forms"

    # gunicorn (`pantau serve`, or gunicorn run with service/gunicorn_conf.py).
    bind: str = "127.0.0.1:5000"
    web_workers: int = Field(default_factory=_default_workers, ge=1)
    web_threads: int = Field(default=16, ge=1)

    # Webhook auth (issue 6): Basic and/or a secret header; either suffices.
    webhook_username: str = ""
    webhook_password: SecretStr = SecretStr("")
    webhook_token: SecretStr = SecretStr("")
    webhook_max_bytes: int = 2_000_000

    # Remote servers (issue 5).
    kobo_url: str = ""
    kobo_token: SecretStr = SecretStr("")
    central_url: str = ""
    central_email: str = ""
    central_password: SecretStr = SecretStr("")
    central_project: int = 1
    public_url: str = "http://127.0.0.1:5000"
    http_timeout: float = Field(default=30.0, gt=0)  # requests refuses 0: every call would fail

    # Family identity: key for the keyed hash of KK/NIK numbers, and the keys it replaced
    # (`pantau keys rotate`), comma-separated, oldest first.
    pseudonym_key: SecretStr = SecretStr("")
    pseudonym_previous_keys: SecretStr = SecretStr("")

    # Alert channels. Mail: smtp://user:pass@host:port, smtp+starttls://…, smtps://…; the demo
    # runs a local SMTP sink at the default.
    smtp_url: SecretStr = SecretStr("smtp://127.0.0.1:8025")
    mail_from: str = "pantau@localhost"
    # A WhatsApp/SMS gateway taking {phone_field: number, text_field: text} with the token in
    # the Authorization header (Fonnte, Wablas and the like).
    wa_url: str = ""
    wa_token: SecretStr = SecretStr("")
    wa_phone_field: str = "target"
    wa_text_field: str = "message"
    telegram_token: SecretStr = SecretStr("")
    telegram_api_url: str = "https://api.telegram.org"
    # Key of the HMAC-SHA256 signature (X-Pantau-Signature) on alerts sent to webhooks.
    alert_webhook_secret: SecretStr = SecretStr("")
    # Outbox retries: exponential from alert_retry_base seconds, capped, with jitter.
    alert_max_attempts: int = 8
    alert_retry_base: float = 30.0
    alert_retry_max: float = 3600.0
    # Periodic alert jobs, in seconds: due deliveries are picked up (the safety net of the
    # deliver_alert task) and the weekly digest is checked for.
    alert_sweep_interval: int = Field(default=60, ge=1)

    # Periodic jobs, in seconds. process_pending is the safety net for stored submissions
    # whose processing message was lost (broker down, worker killed).
    # At least a second: at 0 (or below) beat sends a task as fast as it can loop.
    pull_interval: int = Field(default=300, ge=1)
    process_pending_interval: int = Field(default=60, ge=1)
    sweep_interval: int = Field(default=3600, ge=1)
    broker_cleanup_interval: int = Field(default=600, ge=1)

    @field_validator("var_dir", "rules_dir", "forms_dir", "build_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        # Fixed once at start-up: a later chdir (gunicorn, a daemon) must not move them.
        return value if value.is_absolute() else Path.cwd() / value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("bind")
    @classmethod
    def _bind(cls, value: str) -> str:
        host, _, port = value.rpartition(":")
        if not value.startswith("unix:") and not (host and port.isdigit()):
            raise ValueError("must be HOST:PORT (e.g. 127.0.0.1:5000) or unix:/path/to.sock")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError(
                "must be a sqlite:/// or postgresql+psycopg:// URL, e.g. "
                "postgresql+psycopg://pantau:secret@db.example/pantau"
            )
        return value

    @field_validator("broker_url")
    @classmethod
    def _broker_url(cls, value: str) -> str:
        if value and not value.startswith(("sqla+sqlite", "sqla+postgresql", "redis", "rediss")):
            raise ValueError("must be a redis:// URL or sqla+sqlite:///path (embedded)")
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: SecretStr) -> SecretStr:
        if urlsplit(value.get_secret_value()).scheme not in ("smtp", "smtp+starttls", "smtps"):
            raise ValueError("must be smtp://host:port, smtp+starttls://… or smtps://…")
        return value

    @field_validator("kobo_url", "central_url", "public_url", "wa_url", "telegram_api_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if value and urlsplit(value).scheme not in ("http", "https"):
            raise ValueError("must be an http:// or https:// URL")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _defaults(self) -> Settings:
        # Embedded defaults derive from var_dir so tests can point everything at a tmp dir.
        if not self.database_url:
            self.database_url = f"sqlite:///{self.var_dir / 'pantau.db'}"
        if not self.broker_url:
            self.broker_url = f"sqla+sqlite:///{self.var_dir / 'broker.db'}"
        self._check_keys()
        return self

    def _check_keys(self) -> None:
        pseudonym = self.pseudonym_key.get_secret_value()
        problems = []
        if self.env != "development":
            # Family keys are truncated HMACs of 16-digit numbers: with the key known, a
            # kecamatan's KK space is enumerated in minutes. A key shared with the app secret
            # would change whenever that one is rotated.
            weak = key_weakness(pseudonym)
            if weak:
                problems.append(f"PANTAU_PSEUDONYM_KEY {weak}")
            elif pseudonym == self.secret_key.get_secret_value():
                problems.append("PANTAU_PSEUDONYM_KEY must differ from PANTAU_SECRET_KEY")
        if self.env == "production":
            weak = key_weakness(self.secret_key.get_secret_value())
            if weak:
                problems.append(f"PANTAU_SECRET_KEY {weak}")
            # Whoever knows a webhook credential can post submissions: the template's
            # REPLACE_ME, or anything as guessable, is refused like a weak key. Unset is
            # allowed (the webhook then refuses every delivery; the pull still works).
            for name, value in (
                ("PANTAU_WEBHOOK_TOKEN", self.webhook_token.get_secret_value()),
                ("PANTAU_WEBHOOK_PASSWORD", self.webhook_password.get_secret_value()),
            ):
                weak = key_weakness(value) if value else None
                if weak:
                    problems.append(f"{name} {weak}")
        if problems:
            raise ValueError(
                "; ".join(problems) + " (outside PANTAU_ENV=development; make one with "
                "`python3 -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
            )
        if self.env == "development" and key_weakness(pseudonym):
            _warn_once(
                "PANTAU_ENV=development: family keys use a weak or public pseudonym key; "
                "never let this installation hold real family data"
            )

    @property
    def is_sqlite(self) -> bool:
        """Whether the application database is the embedded SQLite file."""
        return self.database_url.startswith("sqlite")

    @property
    def pseudonym_secret(self) -> bytes:
        """Current key for pseudonymising family numbers (development may fall back)."""
        key = self.pseudonym_key.get_secret_value()
        if not key and self.env == "development":
            key = self.secret_key.get_secret_value() or DEV_KEY
        return key.encode()

    @property
    def pseudonym_keys(self) -> tuple[bytes, ...]:
        """Every key a family key went through, oldest first; the current one last."""
        previous = self.pseudonym_previous_keys.get_secret_value()
        older = tuple(k.strip().encode() for k in previous.split(",") if k.strip())
        return (*older, self.pseudonym_secret)


def key_weakness(key: str) -> str | None:
    """Why key is too weak to protect family data (never quoting it), or None."""
    if not key:
        return "is not set"
    if key.lower() in KNOWN_KEYS or key.lower().startswith("dev-only"):
        return "is a published default"
    if len(key) < MIN_KEY_LENGTH:
        return f"has {len(key)} characters; at least {MIN_KEY_LENGTH} random ones are needed"
    if len(set(key)) < 10:
        return "repeats too few different characters to be random"
    return None


def _warn_once(message: str) -> None:
    if message not in _warned:
        _warned.add(message)
        log.warning(message)


def var_dir_setting() -> Path:
    """`PANTAU_VAR_DIR` alone, for a command that must write there before settings validate."""
    path = _VarDir().var_dir
    return path if path.is_absolute() else Path.cwd() / path


class _VarDir(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PANTAU_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    var_dir: Path = Field(default_factory=_default_var)


def load_settings(**overrides: object) -> Settings:
    """Read and validate settings; raise SettingsError with one line per bad value."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            name = "PANTAU_" + "_".join(str(p) for p in err["loc"]).upper() if err["loc"] else ""
            msg = err["msg"].removeprefix("Value error, ")
            lines.append(f"{name}: {msg}" if name else msg)
        raise SettingsError("; ".join(lines)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings of this process, read once."""
    return load_settings()
