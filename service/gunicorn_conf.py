"""gunicorn settings for `pantau serve` (also usable as `gunicorn -c service/gunicorn_conf.py`)."""

import os
import shutil
import tempfile

from config.settings import get_settings

# PANTAU_BIND, PANTAU_WEB_WORKERS, PANTAU_WEB_THREADS and PANTAU_LOG_LEVEL, read and checked by
# the one Settings object like every other setting (`pantau serve` options override them).
_settings = get_settings()
bind = _settings.bind
workers = _settings.web_workers
# Threads, not sync workers: a sync worker is held by one client for as long as that client
# takes to send its headers, so two slow connections stopped all intake. A thread per
# connection (gthread) needs PANTAU_WEB_THREADS x workers slow clients for the same; the
# buffering reverse proxy in front (README, "Production deployment") takes the rest.
worker_class = "gthread"
threads = _settings.web_threads
# Kobo gives up after 30 s; a worker whose main loop is silent for 25 s is stuck, not slow.
timeout = 25
graceful_timeout = 10
keepalive = 5
accesslog = None  # the app writes one JSON access line per request itself
errorlog = "-"
loglevel = _settings.log_level.lower()
# gunicorn's own lines (booting, worker timeouts) as JSON too, like every other log line.
logger_class = "service.logs.GunicornJsonLogger"
# No control socket (gunicorn >= 25.1): its default path is one per user ($HOME/.gunicorn/
# gunicorn.ctl), so every other gunicorn of that user (a second instance, the benchmark's
# baseline) would take it over, and under systemd's ProtectHome it only logs a failure. Nothing
# of ours uses `gunicornc`; workers are managed through systemd (deploy/).
control_socket_disable = True
# Enough headroom for Kobo's JSON bodies; the app enforces PANTAU_WEBHOOK_MAX_BYTES itself.
limit_request_field_size = 16384

# Every worker counts into one folder, so /metrics answers the same whichever worker serves it
# (prometheus-client's multiprocess mode). This file runs in the master before any worker
# imports the app; `pantau serve` has already chosen a folder under var/.
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _metrics = tempfile.mkdtemp(prefix="pantau-metrics-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics
    os.environ["PANTAU_METRICS_DIR_MADE"] = _metrics


def child_exit(server, worker):
    """Let /metrics forget a dead worker's live values (prometheus-client multiprocess mode)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """Remove the metrics folder this server made (service.gunicorn_server)."""
    folder = os.environ.get("PANTAU_METRICS_DIR_MADE")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
