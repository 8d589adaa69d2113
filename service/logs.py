"""Structured logs: one JSON object a line, with the request id when there is one."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from core.domain.privacy import RedactingFilter, blank_numbers

try:
    from flask import g, has_request_context
except ImportError:  # pragma: no cover - workers log without Flask
    has_request_context = None  # type: ignore[assignment]


class JsonFormatter(logging.Formatter):
    """Render a record as one JSON line; KK/NIK-shaped numbers never reach it in clear."""

    def format(self, record: logging.LogRecord) -> str:  # noqa: D102
        out = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": blank_numbers(record.getMessage()),
        }
        if has_request_context is not None and has_request_context():
            out["request_id"] = getattr(g, "request_id", None)
        for key in ("event", "status", "path", "method", "duration_ms", "submission_id"):
            if hasattr(record, key):
                value = getattr(record, key)
                # A path is what the client asked for: /families/<a KK typed in> included.
                out[key] = blank_numbers(value) if isinstance(value, str) else value
        if record.exc_info:
            out["exc"] = blank_numbers(self.formatException(record.exc_info))
        return json.dumps(out, ensure_ascii=False, default=str)


def configure_logging(level: str = "INFO") -> None:
    """Send every logger's records to stderr as JSON lines (idempotent)."""
    root = logging.getLogger()
    if any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    root.handlers[:] = [handler]
    root.setLevel(level)


def _json_handlers(logger: logging.Logger) -> None:
    for handler in logger.handlers:
        handler.setFormatter(JsonFormatter())
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


try:
    from gunicorn.glogging import Logger as _GunicornLogger
except ImportError:  # pragma: no cover - workers run without gunicorn
    _GunicornLogger = None  # type: ignore[assignment,misc]

if _GunicornLogger is not None:

    class GunicornJsonLogger(_GunicornLogger):
        """gunicorn's logger writing its own lines (boot, worker exits) as JSON lines too."""

        def setup(self, cfg) -> None:  # noqa: D102
            super().setup(cfg)
            _json_handlers(self.error_log)
            _json_handlers(self.access_log)
