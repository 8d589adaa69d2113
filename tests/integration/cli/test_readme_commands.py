"""README's "Using it" and Click agree: every command is documented, nothing documented is gone."""

from __future__ import annotations

import re

import click

from cli.main import main
from tests.conftest import ROOT

README = ROOT / "README.md"


def _click_commands(group: click.Group, prefix: str = "pantau") -> set[str]:
    out = set()
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if isinstance(command, click.Group):
            out |= _click_commands(command, path)
        else:
            out.add(path)
    return out


def _documented() -> set[str]:
    """Command paths in the README's "Using it" block: the words before the first argument."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Using it") :]
    block = section[section.index("```sh") + 5 : section.index("```", section.index("```sh") + 5)]
    groups = {n for n, c in main.commands.items() if isinstance(c, click.Group)}
    found = set()
    for line in block.splitlines():
        words = re.split(r"\s+", line.split("#", 1)[0].strip())
        if words[:1] != ["pantau"] or len(words) < 2:
            continue
        name = words[1].split("|")[0]
        if name in groups and len(words) > 2:
            found.add(f"pantau {name} {words[2]}")
        else:
            found.add(f"pantau {name}")
    return found


def test_readme__documents_every_command_click_knows_and_no_other():
    documented, known = _documented(), _click_commands(main)
    assert known - documented == set(), "commands missing from README's 'Using it'"
    assert documented - known == set(), "README documents commands Click does not have"


def test_version_and_short_help():
    from click.testing import CliRunner

    version = CliRunner().invoke(main, ["--version"])
    assert version.exit_code == 0 and version.output.startswith("pantau, version ")
    short = CliRunner().invoke(main, ["score", "imp", "-h"])
    assert short.exit_code == 0 and "--period" in short.output
