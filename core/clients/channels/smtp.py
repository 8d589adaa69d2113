"""E-mail over SMTP: `smtp://`, `smtp+starttls://` or `smtps://`, with optional login."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

from core.clients.channels.base import ChannelPermanent, ChannelRetryable, Outgoing

SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to hand mail over, parsed from PANTAU_SMTP_URL."""

    scheme: str
    host: str
    port: int
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        """`smtp://user:pass@host:port` (plain), `smtp+starttls://…`, `smtps://…` (TLS)."""
        parts = urlsplit(url)
        if parts.scheme not in SCHEMES or not parts.hostname:
            raise ValueError("must be smtp://, smtp+starttls:// or smtps:// with a host")
        return cls(
            parts.scheme,
            parts.hostname,
            parts.port or SCHEMES[parts.scheme],
            unquote(parts.username) if parts.username else None,
            unquote(parts.password) if parts.password else None,
        )


class SmtpChannel:
    """Sends each message as one e-mail (plain text, UTF-8)."""

    name = "email"

    def __init__(self, server: SmtpServer, sender: str, timeout: float = 20.0) -> None:
        self.server, self.sender, self.timeout = server, sender, timeout

    def _connect(self) -> smtplib.SMTP:
        s = self.server
        if s.scheme == "smtps":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            conn = smtplib.SMTP(s.host, s.port, timeout=self.timeout)
            if s.scheme == "smtp+starttls":
                conn.starttls(context=ssl.create_default_context())
        if s.username:
            conn.login(s.username, s.password or "")
        return conn

    def send(self, message: Outgoing) -> None:
        """Hand the e-mail to the server; SMTP 4xx and network failures are retryable."""
        mail = EmailMessage()
        mail["From"], mail["To"] = self.sender, message.address
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(usegmt=True)
        mail["Message-ID"] = f"<{message.message_id}@pantau>"
        mail.set_content(message.body)
        try:
            with self._connect() as conn:
                conn.send_message(mail)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            cls = ChannelRetryable if all(400 <= c < 500 for c in codes) else ChannelPermanent
            raise cls(f"SMTP refused the recipient ({', '.join(map(str, codes))})") from exc
        except smtplib.SMTPResponseException as exc:
            cls = ChannelRetryable if 400 <= exc.smtp_code < 500 else ChannelPermanent
            raise cls(f"SMTP answered {exc.smtp_code}") from exc
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError) as exc:
            raise ChannelRetryable(
                f"SMTP server {self.server.host}:{self.server.port} went away"
            ) from exc
        except (TimeoutError, OSError) as exc:
            where = f"{self.server.host}:{self.server.port}"
            raise ChannelRetryable(
                f"cannot reach SMTP server {where} ({exc.__class__.__name__})"
            ) from exc
        except smtplib.SMTPException as exc:
            raise ChannelPermanent(f"SMTP failed: {exc.__class__.__name__}") from exc
