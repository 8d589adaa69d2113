"""Every installed package is pinned, at the version it runs, by the two requirements files.

`make security` audits the files with `--no-deps`, so a package that is only pulled in (a
dependency of a pin) is audited only if it is pinned too; and a floating dependency makes
tomorrow's install differ from the one that was tested.
"""

from __future__ import annotations

import re
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
# Installed by venv itself or by `pip install -e .`: not requirements.
NOT_REQUIREMENTS = {"pip", "setuptools", "wheel", "pantau"}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==(\S+)$")


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path, extras: dict[str, set[str]] | None = None) -> dict[str, str]:
    """name -> pinned version; the extras asked for (psycopg[binary]) go into `extras`."""
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
        if extras is not None and match.group(2):
            extras[name] = {e.strip() for e in match.group(2)[1:-1].split(",")}
    return out


def runtime_closure(top: dict[str, set[str]]) -> set[str]:
    """Every package the runtime pins bring in, as their installed metadata declares it."""
    seen: set[str] = set()
    todo = list(top.items())
    while todo:
        name, extras = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for line in metadata.requires(name) or []:
            req = Requirement(line)
            wanted = [{"extra": e} for e in extras or {""}]
            if req.marker is None or any(req.marker.evaluate(env) for env in wanted):
                todo.append((canonical(req.name), set(req.extras)))
    return seen


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
    unpinned = {n: v for n, v in installed.items() if n not in pinned}
    assert unpinned == {}
    assert {
        n: (pinned[n], v) for n, v in installed.items() if Version(pinned[n]) != Version(v)
    } == {}
    assert sorted(set(pinned) - set(installed)) == []


def test_requirements__the_runtime_file_alone_pins_everything_the_runtime_needs():
    # `make venv` (the demo, the production guide) installs requirements.txt alone: a
    # dependency pinned only in requirements-dev.txt would float there.
    extras: dict[str, set[str]] = {}
    runtime = pins(ROOT / "requirements.txt", extras)
    needed = runtime_closure({name: extras.get(name, set()) for name in runtime})
    assert sorted(needed - set(runtime)) == []
