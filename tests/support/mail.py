"""A real SMTP server (aiosmtpd) on loopback that keeps what it receives, for alert tests."""

from __future__ import annotations

import email
import email.policy
import socket
from collections import Counter
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path

from aiosmtpd.controller import Controller


@dataclass
class Received:
    """One message as the SMTP server got it."""

    mail_from: str
    rcpt_tos: list[str]
    message: Message

    @property
    def subject(self) -> str:
        """The decoded Subject header."""
        raw = str(self.message["Subject"]).replace("\r\n ", " ").replace("\n ", " ")
        return str(email.header.make_header(email.header.decode_header(raw)))

    @property
    def body(self) -> str:
        """The plain-text body, decoded."""
        return self.message.get_payload(decode=True).decode("utf-8").replace("\r\n", "\n")


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    # While set, every message is answered "451 try again later" (a server up but failing).
    tempfail: bool = False
    tempfailed: int = 0
    tempfailed_ids: Counter[str] = field(default_factory=Counter)  # by Message-ID

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        if self.tempfail:
            self.tempfailed += 1
            self.tempfailed_ids[str(message["Message-ID"])] += 1
            return "451 4.3.0 Temporary local problem, try again later"
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


def free_port() -> int:
    """A loopback port free now (aiosmtpd cannot bind port 0 itself)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SmtpSink:
    """Start, stop and read a loopback SMTP server; it may start later on a port chosen now."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.handler = _Handler()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        """What PANTAU_SMTP_URL is set to."""
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def received(self) -> list[Received]:
        """Everything received so far."""
        return self.handler.received

    def start(self) -> SmtpSink:
        """Listen on the port."""
        self._controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        """Stop listening (mail already received is kept)."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


def maildir_texts(maildir: Path) -> list[str]:
    """Each message of a Maildir's new/ as its decoded subject and text parts.

    Decoded, not the file's bytes: quoted-printable breaks long lines with a soft "=" and
    would hide a number split across one from a search.
    """
    out = []
    for path in sorted((maildir / "new").iterdir()):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        parts = [p.get_content() for p in message.walk() if p.get_content_maintype() == "text"]
        out.append("\n".join([str(message["Subject"]), *parts]))
    return out
