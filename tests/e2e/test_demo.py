import json
import signal
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import free_port, make_settings, pantau_env
from tests.support.processes import Proc, wait_for


def _processes_with(marker: str) -> list[int]:
    pids = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker.encode() in environ.read_bytes():
                pids.append(int(environ.parent.name))
        except OSError:
            continue
    return pids


@pytest.mark.slow
def test_demo__serves_ready_and_stops_cleanly_on_ctrl_c(tmp_path):
    settings = make_settings(tmp_path)
    port = free_port()
    marker = f"PANTAU_VAR_DIR={settings.var_dir}"
    demo = Proc(["demo", "--port", str(port)], pantau_env(settings), tmp_path / "demo.log")
    try:

        def ready():
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as r:
                    return json.load(r)
            except OSError:
                return None

        body = wait_for(ready, timeout=90, what=f"demo readiness\n{demo.output()}")
        assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"]
        wait_for(
            lambda: f"running at http://127.0.0.1:{port}" in demo.output(),
            timeout=30,
            what="the demo to print its URL",
        )
        demo.signal(signal.SIGINT)
        assert demo.popen.wait(60) == 0
        assert "stopped" in demo.output()
        # web, worker, beat and their pool processes are all gone
        assert wait_for(lambda: not _processes_with(marker), timeout=20, what="children to exit")
    finally:
        demo.stop()
