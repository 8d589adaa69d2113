"""`make lint` keeps the rooms' doors: a forbidden import fails it, naming the contract."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from tests.conftest import ROOT

LINT_IMPORTS = ROOT / ".venv" / "bin" / "lint-imports"
PACKAGES = ("core", "config", "service", "workers", "cli", "demo", "sandbox")


def _copy_tree(dest: Path) -> Path:
    for name in PACKAGES:
        shutil.copytree(ROOT / name, dest / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    return dest


def _lint(cwd: Path) -> subprocess.CompletedProcess[str]:
    # lint-imports puts its working directory first on sys.path: it reads the copy.
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_lint_imports__the_tree_as_committed_keeps_every_contract(tmp_path):
    result = _lint(_copy_tree(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_lint_imports__a_database_import_in_the_domain_breaks_it(tmp_path):
    tree = _copy_tree(tmp_path)
    rule = tree / "core" / "domain" / "versions.py"
    rule.write_text(rule.read_text() + "\nfrom core.store.models import Submission  # noqa\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert "core.domain is pure" in result.stdout and "BROKEN" in result.stdout
    assert "core.domain.versions -> core.store.models" in result.stdout


def test_lint_imports__core_importing_an_adapter_breaks_it(tmp_path):
    tree = _copy_tree(tmp_path)
    use_case = tree / "core" / "usecases" / "intake.py"
    use_case.write_text(use_case.read_text() + "\nimport service.errors  # noqa\n")
    result = _lint(tree)
    assert result.returncode != 0 and "core never imports its adapters" in result.stdout
