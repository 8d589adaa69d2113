"""scripts/audit_check.py: what `make security` makes of a pip-audit report."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "scripts" / "audit_check.py"
VULN = {"id": "PYSEC-2099-1", "aliases": ["CVE-2099-0001"], "fix_versions": ["3.2.0"]}
UNREACHABLE = "Dependency not found on PyPI and could not be audited: flask (3.1.3)"


def _run(tmp_path, deps, exceptions: str, strict: bool = False):
    report = tmp_path / "report.json"
    report.write_text(json.dumps({"dependencies": deps, "fixes": []}))
    allowed = tmp_path / "exceptions.txt"
    allowed.write_text("# a comment\n" + exceptions)
    env = {"PANTAU_AUDIT_STRICT": "1"} if strict else {}
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(report), str(allowed)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


CLEAN = {"name": "click", "version": "8.5.1", "vulns": []}
VULNERABLE = {"name": "flask", "version": "3.1.3", "vulns": [VULN]}
SKIPPED = {"name": "flask", "skip_reason": UNREACHABLE}


@pytest.mark.parametrize(
    ("deps", "exceptions", "strict", "code", "says"),
    [
        ([CLEAN], "", False, 0, "1 of 1 packages"),
        ([CLEAN, VULNERABLE], "", False, 1, "VULNERABLE: flask 3.1.3: PYSEC-2099-1"),
        ([VULNERABLE], "CVE-2099-0001  no request path reaches it\n", False, 0, "accepted"),
        ([CLEAN, SKIPPED], "", False, 1, "1 packages NOT AUDITED"),
        ([CLEAN, SKIPPED], "offline  mirror only\n", False, 0, "NOT A PASS"),
        ([CLEAN, SKIPPED], "offline  mirror only\n", True, 1, "NOT AUDITED"),
        ([VULNERABLE, SKIPPED], "offline  mirror only\n", False, 1, "VULNERABLE"),
    ],
)
def test_audit_check__judges_findings_and_unaudited_packages(
    tmp_path, deps, exceptions, strict, code, says
):
    proc = _run(tmp_path, deps, exceptions, strict)
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert says in proc.stdout
