"""Every installed package is pinned, at the version it runs, by the two requirements files.

`make security` audits the files with `--no-deps`, so a package that is only pulled in (a
dependency of a pin) is audited only if it is pinned too; and a floating dependency makes
tomorrow's install differ from the one that was tested.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# Installed by venv itself or by `pip install -e .`: not requirements.
NOT_REQUIREMENTS = {"pip", "setuptools", "wheel", "pantau"}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==(\S+)$")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", "-r ")):
            continue
        match = PIN.match(line)
        assert match, f"{path.name}: not an exact pin: {line!r}"
        name = canonical(match.group(1))
        assert name not in out, f"{path.name}: {name} pinned twice"
        out[name] = match.group(3)
    return out


def test_requirements__every_installed_package_is_pinned_at_its_version():
    runtime = pins(ROOT / "requirements.txt")
    dev = pins(ROOT / "requirements-dev.txt")
    assert not set(runtime) & set(dev), "pinned in both files"
    pinned = runtime | dev
    installed = {
        canonical(d.metadata["Name"]): d.version
        for d in metadata.distributions()
        if canonical(d.metadata["Name"]) not in NOT_REQUIREMENTS
    }
    assert {n: v for n, v in installed.items() if pinned.get(n) != v} == {}
    assert sorted(set(pinned) - set(installed)) == []
