"""The load on an endpoint: `wrk` posting Kobo submissions (post.lua), and what it measured.

One wrk thread with CONNECTIONS connections; the Lua script gives every request its own
instance id and prints one `BENCH {json}` line, parsed into a Load. The load generator shares
the cores with the servers, so its own CPU use is part of the result.
"""

from __future__ import annotations

import json
import math
import os
import resource
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.common import BenchFailure

LUA = Path(__file__).with_name("post.lua")
CONNECTIONS = 8


@dataclass
class Load:
    """What wrk measured in one run."""

    requests: int
    seconds: float
    statuses: dict[str, int]
    socket_errors: int
    p50_ms: float
    p99_ms: float
    wrk_cpu: float  # CPU seconds wrk used, per second of run
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Requests answered per second."""
        return self.requests / self.seconds

    @property
    def ok(self) -> int:
        """Responses with a 2xx status."""
        return sum(n for code, n in self.statuses.items() if code.startswith("2"))


def ensure_wrk() -> str:
    """Path of wrk (scripts/bench.sh installs the Debian package when missing)."""
    for candidate in ("/usr/bin/wrk", "/usr/local/bin/wrk"):
        if os.access(candidate, os.X_OK):
            return candidate
    raise BenchFailure("wrk is not installed: run through `make bench` (apt-get install wrk)")


def run_wrk(wrk: str, url: str, seconds: float, template: Path, headers: list[str]) -> Load:
    """Post to url for seconds with wrk; parse the script's BENCH line."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    # _id ranges disjoint run after run: 100 ids per millisecond, far above any request rate.
    first_id = int(time.time() * 1000) % 10**9 * 100
    out = subprocess.run(
        [
            wrk,
            "-t1",
            f"-c{CONNECTIONS}",
            f"-d{max(1, math.ceil(seconds))}s",  # wrk takes whole seconds only
            "--timeout",
            "10s",
            "-s",
            str(LUA),
            url,
            "--",
            str(template),
            uuid.uuid4().hex[:16],
            str(first_id),
            *headers,
        ],  # fmt: skip
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH ")), None)
    if out.returncode != 0 or line is None:
        raise BenchFailure(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    data = json.loads(line[6:])
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    duration = data["duration_us"] / 1e6
    return Load(
        requests=data["requests"],
        seconds=duration,
        statuses=data["statuses"],
        socket_errors=data["connect"] + data["read"] + data["write"] + data["timeout"],
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        wrk_cpu=cpu / duration,
    )


def merge_loads(loads: list[Load]) -> Load:
    """One Load from alternating rounds: totals, mean of the medians, worst p99."""
    statuses: dict[str, int] = {}
    for load in loads:
        for code, n in load.statuses.items():
            statuses[code] = statuses.get(code, 0) + n
    seconds = sum(x.seconds for x in loads)
    return Load(
        requests=sum(x.requests for x in loads),
        seconds=seconds,
        statuses=statuses,
        socket_errors=sum(x.socket_errors for x in loads),
        p50_ms=sum(x.p50_ms for x in loads) / len(loads),
        p99_ms=max(x.p99_ms for x in loads),
        wrk_cpu=sum(x.wrk_cpu * x.seconds for x in loads) / seconds,
    )


def check_load(name: str, load: Load, problems: list[str]) -> None:
    """Add a problem when a load had non-2xx answers, socket errors or no requests at all."""
    # A run where requests failed measures the failure path: refuse its numbers.
    bad = {code: n for code, n in load.statuses.items() if not code.startswith("2")}
    if load.requests == 0 or bad or load.socket_errors > 0.005 * load.requests:
        problems.append(
            f"{name}: {load.requests} requests, statuses {load.statuses}, "
            f"{load.socket_errors} socket errors"
        )
