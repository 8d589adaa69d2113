"""Housekeeping of the embedded broker: kombu's SQLAlchemy transport never deletes messages."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta
from pathlib import Path


def cleanup_consumed(path: Path, older_than: timedelta = timedelta(minutes=5)) -> int:
    """Delete delivered (invisible) broker messages older than older_than; return the count."""
    if not path.exists():
        return 0
    # kombu stamps `timestamp` with naive local time (datetime.now) when it hides a message.
    cutoff = (datetime.now() - older_than).strftime("%Y-%m-%d %H:%M:%S.%f")
    with sqlite3.connect(path, timeout=10) as conn:
        try:
            cur = conn.execute(
                "DELETE FROM kombu_message WHERE visible = 0 AND "
                "(timestamp IS NULL OR timestamp < ?)",
                (cutoff,),
            )
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return 0  # no message was ever sent
            raise
        return cur.rowcount
