"""Start the Kobo sandbox in a background thread and talk to it like a client or a phone.

Use the `kobo_sandbox` fixture (import it into a conftest) or `start_kobo_sandbox(...)`;
both give a `SandboxServer` with `base_url`, `token` and helpers to import/deploy forms,
build and submit OpenRosa instances, and inspect hook deliveries.
"""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server

from sandbox.kobo import build_instance_xml, create_sandbox_app, rewrite_root_id

TOKEN = "test-token"

__all__ = [
    "HookReceiver",
    "SandboxServer",
    "build_instance_xml",
    "kobo_sandbox",
    "rewrite_root_id",
    "sample_xlsform",
    "start_kobo_sandbox",
]


@dataclass
class SandboxServer:
    """A running sandbox: its base URL, API token and client-side helpers."""

    base_url: str
    token: str
    app: Any
    session: requests.Session = field(default_factory=requests.Session)

    def __post_init__(self) -> None:
        self.session.headers["Authorization"] = f"Token {self.token}"

    def url(self, path: str) -> str:
        """An absolute URL on the sandbox."""
        return self.base_url + path

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A token-authenticated API call."""
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, self.url(path), **kwargs)

    def import_form(
        self,
        xlsx: bytes,
        name: str = "Test form",
        library: str | None = "false",
        destination: str | None = None,
        extra: dict | None = None,
    ) -> str:
        """Import an XLSForm, poll the import to completion and return the asset uid."""
        data: dict = {"name": name, **(extra or {})}
        if library is not None:
            data["library"] = library
        if destination:
            data["destination"] = destination
        resp = self.api("POST", "/api/v2/imports/", data=data, files={"file": ("form.xlsx", xlsx)})
        assert resp.status_code == 201, resp.text
        imp = self.wait_import(resp.json()["uid"])
        assert imp["status"] == "complete", imp
        kind = "updated" if destination else "created"
        return imp["messages"][kind][0]["uid"]

    def wait_import(self, import_uid: str, timeout: float = 30) -> dict:
        """Poll an import until it is no longer processing."""
        deadline = time.monotonic() + timeout
        while True:
            doc = self.api("GET", f"/api/v2/imports/{import_uid}/").json()
            if doc["status"] not in ("processing", "created") or time.monotonic() > deadline:
                return doc
            time.sleep(0.02)

    def deploy(self, asset_uid: str) -> dict:
        """First deployment of an asset (POST .../deployment/)."""
        resp = self.api("POST", f"/api/v2/assets/{asset_uid}/deployment/", json={"active": True})
        assert resp.status_code == 200, resp.text
        return resp.json()

    def xform(self, asset_uid: str) -> str:
        """The deployed (Kobo-rewritten) XForm, as ODK Collect downloads it."""
        resp = self.api("GET", f"/forms/{asset_uid}/form.xml")
        assert resp.status_code == 200, resp.text
        return resp.text

    def instance(
        self,
        asset_uid: str,
        answers: dict,
        instance_id: str | None = None,
        deprecated_id: str | None = None,
    ) -> tuple[bytes, str]:
        """An OpenRosa instance for the deployed form from flat answers: (xml, instanceID)."""
        return build_instance_xml(self.xform(asset_uid), answers, instance_id, deprecated_id)

    def submit(
        self,
        xml: bytes,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        auth: Any = "token",
        path: str = "/submission",
    ) -> requests.Response:
        """POST an instance like ODK Collect (multipart `xml_submission_file`)."""
        headers = {}
        if auth == "token":
            headers["Authorization"] = f"Token {self.token}"
            auth = None
        parts = {"xml_submission_file": ("submission.xml", io.BytesIO(xml), "text/xml")}
        parts.update(files or {})
        return requests.post(self.url(path), files=parts, headers=headers, auth=auth, timeout=30)

    def submit_answers(self, asset_uid: str, answers: dict, **kwargs: Any) -> tuple[int, str]:
        """Submit answers as a new instance; return (`_id`, instanceID)."""
        xml, iid = self.instance(asset_uid, answers, **kwargs)
        resp = self.submit(xml)
        assert resp.status_code == 201, resp.text
        data = self.api(
            "GET",
            f"/api/v2/assets/{asset_uid}/data/",
            params={"query": json.dumps({"meta/instanceID": iid})},
        ).json()
        return data["results"][0]["_id"], iid

    def faults(self, spec: str | None = None, rules: list | None = None) -> dict:
        """Add fault rules at run time."""
        body = {"spec": spec, "rules": rules or []}
        return requests.post(self.url("/__sandbox__/faults"), json=body, timeout=10).json()

    def data_pages(self, asset_uid: str) -> list[dict]:
        """The data API's pages served for one asset, oldest first (see sandbox PageLog)."""
        resp = requests.get(
            self.url("/__sandbox__/data/pages"), params={"asset": asset_uid}, timeout=10
        )
        return resp.json()["pages"]

    def deliveries(self, hook_uid: str | None = None) -> dict:
        """Hook delivery attempts and logs recorded by the sandbox."""
        params = {"hook": hook_uid} if hook_uid else {}
        return requests.get(
            self.url("/__sandbox__/hooks/deliveries"), params=params, timeout=10
        ).json()

    def wait_hooks_idle(self, timeout: float = 30) -> dict:
        """Wait until no hook delivery is scheduled or in flight; return deliveries()."""
        deadline = time.monotonic() + timeout
        while True:
            doc = self.deliveries()
            pending = [lg for lg in doc["logs"] if lg["status"] == 1]
            if doc["idle"] and not pending:
                return doc
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"hook deliveries still pending after {timeout} s: {len(pending)}"
                )
            time.sleep(0.02)

    def seed(
        self,
        asset_uid: str,
        records: list[dict] | None = None,
        count: int = 0,
        answers: dict | None = None,
    ) -> list[int]:
        """Bulk-insert records without XML (no hooks fire); returns their `_id`s."""
        body = {"records": records or [], "count": count, "answers": answers or {}}
        resp = requests.post(
            self.url(f"/__sandbox__/assets/{asset_uid}/submissions"), json=body, timeout=60
        )
        assert resp.status_code == 201, resp.text
        return resp.json()["ids"]


@contextmanager
def start_kobo_sandbox(
    db_path: str | Path, token: str = TOKEN, **kwargs: Any
) -> Iterator[SandboxServer]:
    """Run the sandbox on a free loopback port in a background thread."""
    app = create_sandbox_app(db_path, token=token, **kwargs)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield SandboxServer(f"http://127.0.0.1:{server.server_port}", token, app)
    finally:
        server.shutdown()
        app.extensions["kobo_sandbox"].hooks.stop()


@pytest.fixture
def kobo_sandbox(tmp_path: Path) -> Iterator[SandboxServer]:
    """A fresh sandbox with compressed hook retries (retry_scale 0.001), seeded backoff."""
    with start_kobo_sandbox(tmp_path / "kobo.db", retry_scale=0.001, hook_timeout=5, seed=1) as s:
        yield s


def sample_xlsform(
    version: str = "2026010101",
    title: str = "Sandbox test",
    extra_question: str | None = None,
    form_id: str = "sandbox_test",
) -> bytes:
    """A small XLSForm: a group, a repeat, a geopoint, a select_multiple and a photo."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "survey"
    rows = [
        ("type", "name", "label"),
        ("start", "start", ""),
        ("begin_group", "ibu", "Ibu"),
        ("text", "nama", "Nama"),
        ("date", "tgl_lahir", "Tanggal lahir"),
        ("end_group", "", ""),
        ("begin_repeat", "anak", "Anak"),
        ("select_one jk", "jk", "Jenis kelamin"),
        ("decimal", "tinggi_cm", "Tinggi (cm)"),
        ("end_repeat", "", ""),
        ("geopoint", "lokasi", "Lokasi"),
        ("select_multiple alat", "alat", "Alat KB"),
        ("image", "foto", "Foto"),
    ]
    if extra_question:
        rows.append(("text", extra_question, extra_question))
    for row in rows:
        ws.append(row)
    choices = wb.create_sheet("choices")
    choices.append(("list_name", "name", "label"))
    for row in [
        ("jk", "l", "L"),
        ("jk", "p", "P"),
        ("alat", "pil", "Pil"),
        ("alat", "iud", "IUD"),
        ("alat", "suntik", "Suntik"),
    ]:
        choices.append(row)
    settings = wb.create_sheet("settings")
    settings.append(("form_title", "form_id", "version"))
    settings.append((title, form_id, version))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


class HookReceiver:
    """A loopback HTTP endpoint that records requests and answers from a scripted list."""

    def __init__(
        self, statuses: list[int] | None = None, default: int = 200, delay: float = 0.0
    ) -> None:
        self.requests: list[dict] = []
        self.statuses = list(statuses or [])
        self.default = default
        self.delay = delay
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    receiver.requests.append(
                        {"path": self.path, "headers": dict(self.headers), "body": body}
                    )
                    status = receiver.statuses.pop(0) if receiver.statuses else receiver.default
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        """Stop the receiver."""
        self.server.shutdown()
        self.server.server_close()
