"""A loopback HTTP server that records every request and answers as scripted (channel tests)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Request:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)


@dataclass
class Recorder:
    """Requests received, and the statuses to answer next (then 200)."""

    requests: list[Request] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        """Base URL of the server."""
        assert self.server is not None
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        """Shut the server down."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def start_recorder(statuses: list[int] | None = None) -> Recorder:
    """Serve on a free loopback port in a thread."""
    recorder = Recorder(statuses=list(statuses or []))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            recorder.requests.append(
                Request("POST", self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            )
            status = recorder.statuses.pop(0) if recorder.statuses else 200
            payload = json.dumps({"ok": status < 400}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    recorder.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=recorder.server.serve_forever, daemon=True).start()
    return recorder
