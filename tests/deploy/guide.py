"""docs/deploy.md's tested blocks and deploy/'s files, with a server's paths moved into a test.

A block whose opening fence reads ```sh deploy-test:NAME is one the test runs. On a server the
paths below are fixed; in a test they are a temporary folder and the repository.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "deploy.md"
DEPLOY = ROOT / "deploy"
FENCE = re.compile(r"^```sh deploy-test:([a-z0-9-]+)\n(.*?)^```$", re.M | re.S)
SERVER_PORT = 5000


def guide_blocks(text: str | None = None) -> dict[str, str]:
    """NAME -> script of every tested block, in the guide's order; a name used twice fails."""
    blocks: dict[str, str] = {}
    for name, body in FENCE.findall(GUIDE.read_text() if text is None else text):
        assert name not in blocks, f"two blocks named deploy-test:{name} in {GUIDE.name}"
        blocks[name] = body
    return blocks


@dataclass(frozen=True)
class Layout:
    """Where a server's files are in this test."""

    root: Path  # stands for /srv/pantau
    base: Path  # a temporary folder holding the rest
    port: int  # stands for 5000

    @property
    def env_file(self) -> Path:
        return self.base / "etc" / "pantau" / "pantau.env"

    @property
    def var_dir(self) -> Path:
        return self.base / "var" / "lib" / "pantau"

    @property
    def backup_dir(self) -> Path:
        return self.base / "var" / "backups" / "pantau"

    @property
    def unit_dir(self) -> Path:
        return self.base / "etc" / "systemd" / "system"

    def localize(self, text: str) -> str:
        """A server's paths and port replaced by this test's."""
        for server, here in (
            ("/etc/pantau/pantau.env", self.env_file),
            ("/var/lib/pantau", self.var_dir),
            ("/var/backups/pantau", self.backup_dir),
            ("/etc/nginx", self.base / "etc" / "nginx"),
            ("/srv/pantau", self.root),
        ):
            text = text.replace(server, str(here))
        text = text.replace(f"127.0.0.1:{SERVER_PORT}", f"127.0.0.1:{self.port}")
        return text.replace(f"--port {SERVER_PORT}", f"--port {self.port}")

    def install_units(self) -> list[Path]:
        """Copy deploy/'s units and timers, localized, as `cp deploy/*.service …` would."""
        self.unit_dir.mkdir(parents=True, exist_ok=True)
        copies = []
        for unit in sorted([*DEPLOY.glob("*.service"), *DEPLOY.glob("*.timer")]):
            target = self.unit_dir / unit.name
            target.write_text(self.localize(unit.read_text()))
            copies.append(target)
        return copies

    def install_env_file(self) -> Path:
        """`install -m 0600 deploy/pantau.env.example /etc/pantau/pantau.env`, localized."""
        self.env_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.env_file.write_text(self.localize((DEPLOY / "pantau.env.example").read_text()))
        self.env_file.chmod(0o600)
        for folder in (self.var_dir, self.backup_dir):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return self.env_file


def set_env_line(path: Path, name: str, value: str) -> None:
    """Set (or uncomment and set) NAME=value in an environment file, as in an editor."""
    lines = path.read_text().splitlines()
    found = [i for i, line in enumerate(lines) if line.lstrip("#").startswith(f"{name}=")]
    assert found, f"{name} is not in {path.name}"
    lines[found[0]] = f"{name}={value}"
    path.write_text("\n".join(lines) + "\n")


def forms_subset(target: Path, *form_ids: str) -> Path:
    """A forms folder holding only form_ids and the contract."""
    target.mkdir(parents=True, exist_ok=True)
    for name in (*(f"{f}.xlsx" for f in form_ids), "contract.toml"):
        shutil.copy(ROOT / "xlsforms" / name, target / name)
    return target
