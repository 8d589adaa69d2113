"""Every PANTAU_* the guide, the environment template and the units name is a real setting.

A misspelt name in an environment file is silently ignored by the settings object (it reads
only the names it knows), so a guide naming a setting that does not exist would leave a
production server on a default. The few names that are not settings are each read by one
thing this test checks reads them.
"""

from __future__ import annotations

import re

import pytest

from cli.keys import NEW_KEY_VAR
from config.settings import Settings, load_settings
from tests.deploy import units
from tests.deploy.guide import DEPLOY, GUIDE

NAME = re.compile(r"\bPANTAU_[A-Z0-9_]*[A-Z0-9](?:_\*)?")
SETTINGS = {f"PANTAU_{field.upper()}" for field in Settings.model_fields}
# Names that are not settings, and what reads each.
NOT_SETTINGS = {
    "PANTAU_BACKUP_DIR": "deploy/pantau-backup.sh",
    "PANTAU_BACKUP_KEEP": "deploy/pantau-backup.sh",
    "PANTAU_WORKER_CONCURRENCY": "deploy/pantau-worker@.service",
    NEW_KEY_VAR: "cli/keys.py (pantau keys rotate)",
}
# What a production server cannot do without: uncommented in the template, in the guide's
# table of which process reads what.
REQUIRED = {
    "PANTAU_ENV",
    "PANTAU_SECRET_KEY",
    "PANTAU_PSEUDONYM_KEY",
    "PANTAU_DATABASE_URL",
    "PANTAU_BROKER_URL",
    "PANTAU_VAR_DIR",
    "PANTAU_PUBLIC_URL",
    "PANTAU_WEBHOOK_USERNAME",
    "PANTAU_WEBHOOK_PASSWORD",
    "PANTAU_WEBHOOK_TOKEN",
    "PANTAU_KOBO_URL",
    "PANTAU_KOBO_TOKEN",
    "PANTAU_SMTP_URL",
    "PANTAU_MAIL_FROM",
}
STRONG = {
    "PANTAU_SECRET_KEY": "app-secret-Yt3Wq8Lm2Xc6Vb0Nz4Kp7Rd5",
    "PANTAU_PSEUDONYM_KEY": "pseudonym-Hj6Tg2Fd9Sa4Qw8Er1Uy5Io3",
    "PANTAU_WEBHOOK_TOKEN": "hook-token-Pz8Kd3Lq7Wm2Xc5Vb9Nt4Rj6",
    "PANTAU_WEBHOOK_PASSWORD": "hook-pass-Gh5Tr9Ek2Sw7Qz3Mn8Lb4Vc1",
}


def _named(text: str) -> set[str]:
    return set(NAME.findall(text))


def _sources() -> dict[str, str]:
    files = [GUIDE, *sorted(DEPLOY.iterdir())]
    return {str(p.relative_to(GUIDE.parents[1])): p.read_text() for p in files}


def _template() -> dict[str, str]:
    return units.read_env_file(DEPLOY / "pantau.env.example")


def _settings(env: dict[str, str]) -> Settings:
    known = {k.removeprefix("PANTAU_").lower(): v for k, v in env.items() if k in SETTINGS}
    return load_settings(**known)


@pytest.mark.parametrize("source", sorted(_sources()))
def test_every_pantau_name_is_a_setting_or_read_by_the_deployment(source):
    unknown = []
    for name in sorted(_named(_sources()[source])):
        if name.endswith("_*"):  # a family of settings: PANTAU_CENTRAL_*
            if not any(s.startswith(name[:-1]) for s in SETTINGS):
                unknown.append(name)
        elif name not in SETTINGS and name not in NOT_SETTINGS:
            unknown.append(name)
    assert not unknown, f"{source} names settings config/settings.py does not have: {unknown}"


def test_the_names_that_are_not_settings_are_read_where_the_guide_says():
    root = GUIDE.parents[1]
    for name, reader in NOT_SETTINGS.items():
        assert name not in SETTINGS, f"{name} became a setting: drop it from NOT_SETTINGS"
        assert name in (root / reader.split(" ")[0]).read_text(), f"{reader} does not read {name}"
    # And no shorthand (`_TOKEN` after a full name) hides a name from this test.
    assert not re.search(r"`_[A-Z]", GUIDE.read_text())


def test_required_settings_are_in_the_template_and_the_guide():
    template = _template()
    assert REQUIRED <= set(template), f"missing from the template: {REQUIRED - set(template)}"
    table = _named(GUIDE.read_text().split("Which process reads what", 1)[1].split("##", 1)[0])
    assert REQUIRED <= table, f"missing from the guide's table: {REQUIRED - table}"


@pytest.mark.parametrize(
    "name",
    ["PANTAU_SECRET_KEY", "PANTAU_PSEUDONYM_KEY", "PANTAU_DATABASE_URL", "PANTAU_BROKER_URL"],
)
def test_without_a_required_setting_the_template_is_no_production_server(
    name, monkeypatch, tmp_path
):
    # Only the template counts: no PANTAU_* from this shell, no .env in the working directory.
    for setting in SETTINGS:
        monkeypatch.delenv(setting, raising=False)
    monkeypatch.chdir(tmp_path)
    filled = {**_template(), **STRONG}
    settings = _settings(filled)
    assert not settings.is_sqlite and settings.broker_url.startswith("redis://")
    del filled[name]
    try:
        settings = _settings(filled)
    except Exception as exc:  # the keys: refused, naming the setting
        assert name in str(exc)
        return
    # The URLs: the settings fall back to the embedded SQLite database and broker.
    assert settings.is_sqlite or settings.broker_url.startswith("sqla+sqlite")
