"""Pagination: the 1,000 cap, lazy pages, bounded memory over 5,000 submissions."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from core.clients.kobo import KoboClient, default_retry
from tests.integration.kobo_client.conftest import RequestLog
from tests.support.kobo_sandbox import TOKEN, SandboxServer, sample_xlsform

# Answers with some bulk, like a real family record, so memory differences are visible.
ANSWERS = {
    "ibu/nama": "Siti Aminah binti Abdullah",
    "ibu/tgl_lahir": "1990-04-02",
    "lokasi": "-6.8841 107.5413 712 5",
    "alat": "pil suntik",
}


def test_page_size__above_1000_is_capped(
    client: KoboClient, kobo_sandbox: SandboxServer, asset_uid: str, request_log: RequestLog
) -> None:
    kobo_sandbox.seed(asset_uid, count=2500)

    sizes = [len(p.results) for p in client.data.iter_pages(asset_uid, page_size=5000)]

    assert sizes == [1000, 1000, 500]
    first = parse_qs(urlsplit(request_log.data_calls()[0]).query)
    assert first["limit"] == ["1000"]


def test_pages__are_fetched_on_demand(
    client: KoboClient, kobo_sandbox: SandboxServer, asset_uid: str, request_log: RequestLog
) -> None:
    kobo_sandbox.seed(asset_uid, count=5000, answers=ANSWERS)

    submissions = client.data.iter_submissions(asset_uid, page_size=1000)
    first = next(submissions)
    after_first = len(request_log.data_calls())
    rest = sum(1 for _ in submissions)

    assert first["_id"] == 1
    assert after_first == 1
    assert rest == 4999
    assert len(request_log.data_calls()) == 5


SERVE = """
import sys
from werkzeug.serving import make_server
from sandbox.kobo import create_sandbox_app
app = create_sandbox_app(sys.argv[1], token=sys.argv[2])
server = make_server("127.0.0.1", 0, app, threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
"""


@pytest.fixture
def sandbox_process(tmp_path: Path) -> Iterator[str]:
    """The sandbox in its own process, so tracemalloc here sees only the client's memory."""
    root = Path(__file__).resolve().parents[3]
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.Popen(
        [sys.executable, "-c", SERVE, str(tmp_path / "kobo.db"), TOKEN],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline())
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_pagination__over_5000_submissions_keeps_one_page_in_memory(sandbox_process: str) -> None:
    with KoboClient(sandbox_process, TOKEN, retries=default_retry(1, 0.01)) as client:
        uid = client.imports.import_form(sample_xlsform(), name="Memory", interval=0.02)
        client.deployments.deploy(uid)
        seeded = requests.post(
            f"{sandbox_process}/__sandbox__/assets/{uid}/submissions",
            json={"count": 5000, "answers": ANSWERS},
            timeout=120,
        )
        assert seeded.status_code == 201

        def measure(consume) -> tuple[int, int]:
            gc.collect()
            tracemalloc.start()
            try:
                result = consume()
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
            return result, peak

        streamed, streaming_peak = measure(
            lambda: sum(1 for _ in client.data.iter_submissions(uid, page_size=250))
        )
        held, holding_peak = measure(
            lambda: len(list(client.data.iter_submissions(uid, page_size=250)))
        )

    assert streamed == held == 5000
    # Same requests, same page size: only holding every record makes the difference. Streaming
    # must cost a small fraction of it, i.e. memory is bounded by the page, not the total.
    assert streaming_peak * 4 < holding_peak, (streaming_peak, holding_peak)


def test_incremental__new_ids_after_a_mark_in_id_order(
    client: KoboClient, kobo_sandbox: SandboxServer, asset_uid: str
) -> None:
    ids = kobo_sandbox.seed(asset_uid, count=30)

    newer = [s["_id"] for s in client.data.iter_new(asset_uid, after_id=ids[9], page_size=7)]

    assert newer == ids[10:]


def test_manifest__lists_ids_and_uuids_only(
    client: KoboClient, kobo_sandbox: SandboxServer, asset_uid: str
) -> None:
    ids = kobo_sandbox.seed(asset_uid, count=12, answers=ANSWERS)

    entries = list(client.data.manifest(asset_uid, page_size=5))

    assert [e.id for e in entries] == ids
    assert all(len(e.uuid) == 36 for e in entries)
