"""Where a URL points, as far as the URL itself tells (no lookup)."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback(url: str) -> bool:
    """Whether url names this machine only (127.0.0.0/8, ::1, localhost, 0.0.0.0)."""
    host = (urlsplit(url).hostname or "").lower()
    if not host:
        return False
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def unreachable_webhook(public_url: str, server_url: str) -> str | None:
    """Why a server at server_url could never post to public_url, or None when it may."""
    if is_loopback(public_url) and server_url and not is_loopback(server_url):
        return (
            f"PANTAU_PUBLIC_URL={public_url} is this machine only: the Kobo server at "
            f"{server_url} could never deliver to its webhook; set PANTAU_PUBLIC_URL to the "
            "address that server reaches Pantau at"
        )
    return None
