"""One-shot reachability probes for `pantau doctor`: a URL, the Celery broker.

Each answers None when the thing answered, else one line saying what went wrong; none retries
and each gives up within its timeout.
"""

from __future__ import annotations

from pathlib import Path

import requests

from core.clients.http import CONNECT_REASONS


def probe_url(url: str, timeout: float = 3.0) -> str | None:
    """None when GET url answers 2xx, else why not (status, or why no connection)."""
    try:
        response = requests.get(url, timeout=timeout, allow_redirects=False)
    except requests.Timeout:
        return f"no answer from {url} within {timeout:g} s"
    except requests.RequestException as exc:
        text = str(exc)
        reason = next((why for key, why in CONNECT_REASONS if key in text), "connection failed")
        return f"cannot connect to {url}: {reason}"
    if response.status_code >= 300:
        return f"GET {url} answered {response.status_code}"
    return None


def probe_broker(url: str, timeout: float = 3.0) -> str | None:
    """None when the Celery broker at url accepts a connection, else why not.

    The embedded `sqla+sqlite` file is only looked at: connecting would create it.
    """
    if url.startswith("sqla+sqlite"):
        path = Path(url.split("///", 1)[-1])
        return None if path.is_file() else f"no broker file {path} yet"
    from kombu import Connection

    try:
        with Connection(url, connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)
    except Exception as exc:  # kombu and its transports raise many types
        return f"{exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return None
