"""Run tests/odk/fill.mjs (ODK's @getodk/xforms-engine in Node) from Python tests."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
FILL = ROOT / "tests" / "odk" / "fill.mjs"
ENGINE = ROOT / "node_modules" / "@getodk" / "xforms-engine" / "package.json"


def engine_missing() -> str | None:
    """Why the engine cannot run here (no node, no `npm ci`), or None when it can."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not ENGINE.exists():
        return "node_modules missing: run `npm ci` in the repo root"
    return None


@dataclass
class FillResult:
    """What the engine reported for one fill."""

    status: str
    violations: list[dict[str, Any]]
    errors: list[dict[str, Any]]
    submission_xml: str
    languages: list[str]


def fill(
    xform: Path,
    answers: list[tuple[str, Any]],
    *,
    attachments: Path,
    language: str = "Indonesian (id)",
    preload: dict[str, str] | None = None,
) -> FillResult:
    """Load xform with its CSV media, apply answers in order and return the engine's report."""
    request = {
        "form": str(xform),
        "attachments": str(attachments),
        "language": language,
        "answers": [list(a) for a in answers],
        "preload": preload or {"deviceID": "collect:test-device", "username": "kader01"},
    }
    proc = subprocess.run(
        ["node", str(FILL)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"fill.mjs failed ({proc.returncode}): {proc.stdout}\n{proc.stderr}")
    out = json.loads(proc.stdout)
    return FillResult(
        status=out["status"],
        violations=out["violations"],
        errors=out["errors"],
        submission_xml=out["submission_xml"],
        languages=out["languages"],
    )
