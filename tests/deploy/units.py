"""Read deploy/'s systemd units as systemd would run them: environment, ExecStart, oneshot.

Standard library only: the `systemctl` stand-in of the guide test (tests/deploy/bin/)
imports it with the system's python3.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
import socket
from pathlib import Path

# What systemd gives a service before Environment= and EnvironmentFile= (no login shell).
BASE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def read_unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Sections of a unit file: name -> [(key, value), ...] in file order."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current = None
    for raw in Path(path).read_text().splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.endswith("\\"):
            raise ValueError(f"{path}: line continuations are not supported here: {raw}")
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), [])
            continue
        key, _, value = line.partition("=")
        if current is None:
            raise ValueError(f"{path}: {raw!r} outside a section")
        current.append((key.strip(), value.strip()))
    return sections


def values(unit: dict[str, list[tuple[str, str]]], section: str, key: str) -> list[str]:
    """Every value of key in section, in order."""
    return [v for k, v in unit.get(section, []) if k == key]


def read_env_file(path: Path) -> dict[str, str]:
    """An EnvironmentFile= of simple KEY=value lines, as systemd reads it (comments: # or ;)."""
    env = {}
    for raw in Path(path).read_text().splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        key, sep, value = line.partition("=")
        if not sep:
            raise ValueError(f"{path}: not KEY=value: {raw!r}")
        env[key.strip()] = value.strip()
    return env


def resolve(unit_dir: Path, name: str) -> tuple[Path, str]:
    """The unit file for a name as systemctl takes it (suffix optional, `x@1`, `x@*`)."""
    if not re.search(r"\.(service|timer|target|socket)$", name):
        name += ".service"
    if (unit_dir / name).is_file():
        return unit_dir / name, ""
    if "@" in name:
        prefix, rest = name.split("@", 1)
        instance, _, suffix = rest.rpartition(".")
        template = unit_dir / f"{prefix}@.{suffix}"
        if template.is_file() and instance:
            return template, instance
    matches = [p for p in unit_dir.iterdir() if fnmatch.fnmatch(p.name, name)]
    if matches:
        return matches[0], "*"
    raise LookupError(f"Unit {name} not found.")


def environment_defaults(unit_path: Path) -> dict[str, str]:
    """A service's environment before its EnvironmentFile=: PATH and Environment= lines."""
    env = {"PATH": BASE_PATH, "LANG": "C.UTF-8"}
    for assignment in values(read_unit(unit_path), "Service", "Environment"):
        for word in shlex.split(assignment):
            key, _, value = word.partition("=")
            env[key] = value
    return env


def environment(unit_path: Path) -> dict[str, str]:
    """The environment systemd starts the service with: Environment=, then EnvironmentFile=."""
    env = environment_defaults(unit_path)
    for path in values(read_unit(unit_path), "Service", "EnvironmentFile"):
        env.update(read_env_file(Path(path.lstrip("-"))))
    return env


def _specifiers(text: str, unit_name: str, instance: str) -> str:
    table = {"i": instance, "I": instance, "H": socket.gethostname(), "n": unit_name, "%": "%"}
    return re.sub(r"%(.)", lambda m: table[m.group(1)], text)


def command(unit_path: Path, instance: str = "", env: dict[str, str] | None = None) -> list[str]:
    """ExecStart= as argv: specifiers (%i, %H, %n, %%) and ${VAR}/$VAR as systemd expands them."""
    unit = read_unit(unit_path)
    (line,) = values(unit, "Service", "ExecStart")
    env = environment(unit_path) if env is None else env
    name = unit_path.name.replace("@.", f"@{instance}.")
    argv: list[str] = []
    for word in shlex.split(_specifiers(line, name, instance)):
        whole = re.fullmatch(r"\$([A-Za-z_][A-Za-z0-9_]*)", word)
        if whole:  # $VAR alone: split at whitespace into zero or more words
            argv.extend(env.get(whole.group(1), "").split())
            continue
        argv.append(
            re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", lambda m: env.get(m.group(1), ""), word)
        )
    return argv


def working_directory(unit_path: Path) -> str | None:
    """WorkingDirectory= of the service, if any."""
    found = values(read_unit(unit_path), "Service", "WorkingDirectory")
    return found[-1] if found else None


def is_oneshot(unit_path: Path) -> bool:
    """Whether `systemctl start` waits for the service to finish (Type=oneshot)."""
    return "oneshot" in values(read_unit(unit_path), "Service", "Type")
