"""gunicorn settings for `pantau serve` (also usable as `gunicorn -c service/gunicorn_conf.py`)."""

import multiprocessing
import os

bind = os.environ.get("PANTAU_BIND", "127.0.0.1:5000")
# Sync workers: the webhook does one insert and returns, so processes, not threads, scale it.
workers = int(os.environ.get("PANTAU_WEB_WORKERS", str(min(4, multiprocessing.cpu_count()))))
worker_class = "sync"
# Kobo gives up after 30 s; a request still running at 25 s is stuck, not slow.
timeout = 25
graceful_timeout = 10
keepalive = 5
accesslog = None  # the app writes one JSON access line per request itself
errorlog = "-"
loglevel = os.environ.get("PANTAU_LOG_LEVEL", "info").lower()
# Enough headroom for Kobo's JSON bodies; the app enforces PANTAU_WEBHOOK_MAX_BYTES itself.
limit_request_field_size = 16384
