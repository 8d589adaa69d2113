"""Alert recipients as a district lists them: `name,wilayah,channel,address,language[,role]`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlsplit

from core.domain.tables import TableError, check_rows, header_problems
from core.domain.wilayah import UnknownWilayah, parse_code

COLUMNS = ("name", "wilayah", "channel", "address", "language", "role")
REQUIRED = ("name", "wilayah", "channel", "address")
CHANNELS = ("email", "whatsapp", "telegram", "webhook")
LANGUAGES = ("id", "en")
# tpps: the TPPS of a desa (each alert) or of a kecamatan/kab-kota (the digest);
# pkb: a PKB/PLKB, who hears of the IMPs in its wilayah whose tier dropped.
ROLES = ("tpps", "pkb")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9]{8,15}$")
_CHAT = re.compile(r"^(-?[0-9]{3,20}|@[A-Za-z][A-Za-z0-9_]{4,31})$")


def _address(channel: str, address: str) -> str:
    if channel == "email" and not _EMAIL.match(address):
        raise ValueError(f"address {address!r} is not an e-mail address")
    if channel == "whatsapp":
        address = address.replace(" ", "").replace("-", "")
        if not _PHONE.match(address):
            raise ValueError(f"address {address!r} is not a phone number (8-15 digits)")
    if channel == "telegram" and not _CHAT.match(address):
        raise ValueError(f"address {address!r} is not a Telegram chat id or @channel")
    if channel == "webhook" and urlsplit(address).scheme not in ("http", "https"):
        raise ValueError(f"address {address!r} is not an http(s) URL")
    return address


def parse_recipient(cells: Mapping[str, str]) -> dict[str, str]:
    """One row, checked; ValueError says what is wrong."""
    get = {k: (cells.get(k) or "").strip() for k in COLUMNS}
    if not get["name"]:
        raise ValueError("name is empty")
    try:
        wilayah = parse_code(get["wilayah"])
    except UnknownWilayah as exc:
        raise ValueError(f"wilayah: {exc}") from None
    if wilayah.count(".") < 1:
        raise ValueError(f"wilayah {wilayah} is a province: use a kab/kota, kecamatan or desa")
    channel = get["channel"].lower()
    if channel not in CHANNELS:
        raise ValueError(f"channel {get['channel']!r} is not one of {', '.join(CHANNELS)}")
    language = (get["language"] or "id").lower()
    if language not in LANGUAGES:
        raise ValueError(f"language {get['language']!r} is not one of {', '.join(LANGUAGES)}")
    role = (get["role"] or "tpps").lower()
    if role not in ROLES:
        raise ValueError(f"role {get['role']!r} is not one of {', '.join(ROLES)}")
    return {
        "name": get["name"],
        "wilayah_code": wilayah,
        "channel": channel,
        "address": _address(channel, get["address"]),
        "language": language,
        "role": role,
    }


def validate_recipients(rows: list[tuple[int, Mapping[str, str]]]) -> list[dict[str, str]]:
    """Every row checked; TableError lists each bad row with its number."""
    good, problems = check_rows(rows, parse_recipient, lambda row: row["name"], "name")
    if problems:
        raise TableError(problems)
    return [row for _, row in good]


def check_header(header: list[str]) -> list[str]:
    """Problems with a recipients file's header row."""
    return header_problems(header, REQUIRED, COLUMNS, COLUMNS)
