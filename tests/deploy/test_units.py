"""deploy/: systemd-analyze verify on the units, their hardening, the env file, nginx's limit."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from config.settings import load_settings
from tests.deploy import units
from tests.deploy.guide import DEPLOY, ROOT, Layout

SERVICES = sorted(p.name for p in DEPLOY.glob("*.service"))
HARDENING = {
    "User": "pantau",
    "Group": "pantau",
    "EnvironmentFile": "/etc/pantau/pantau.env",
    "WorkingDirectory": "/srv/pantau",
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "Restart": "on-failure",
    "CapabilityBoundingSet": "",
    "UMask": "0077",
}


def _analyze(tmp_path) -> str:
    """systemd-analyze, or a skip saying why not (the plain parse tests below still run)."""
    exe = shutil.which("systemd-analyze")
    if exe is None:
        pytest.skip("systemd-analyze is not installed (Debian: `make system-deps` adds systemd)")
    probe = tmp_path / "probe" / "pantau-probe.service"
    probe.parent.mkdir()
    probe.write_text("[Unit]\nDescription=probe\n[Service]\nType=oneshot\nExecStart=/bin/true\n")
    done = subprocess.run([exe, "verify", str(probe)], capture_output=True, text=True, timeout=120)
    if done.returncode != 0 or done.stderr.strip():
        # A trivially valid unit that does not verify: this container cannot host the check.
        pytest.skip(f"systemd-analyze cannot run in this container: {done.stderr.strip()}")
    return exe


def test_units__systemd_analyze_verify_passes_without_a_warning(tmp_path):
    exe = _analyze(tmp_path)
    # `verify` checks that ExecStart exists: the copies point at this repository's .venv.
    copies = Layout(root=ROOT, base=tmp_path, port=5000).install_units()
    assert {p.name for p in copies} == {*SERVICES, "pantau-backup.timer"}
    done = subprocess.run(
        [exe, "verify", *map(str, copies)], capture_output=True, text=True, timeout=120
    )
    output = (done.stdout + done.stderr).strip()
    assert done.returncode == 0, output
    # An unknown key or a bad value is only a warning to systemd: any line about ours fails.
    ours = [line for line in output.splitlines() if "pantau" in line]
    assert not ours, "\n".join(ours)


def test_units__verify_catches_a_typo_in_a_unit(tmp_path):
    exe = _analyze(tmp_path)
    layout = Layout(root=ROOT, base=tmp_path, port=5000)
    web = next(p for p in layout.install_units() if p.name == "pantau-web.service")
    web.write_text(web.read_text().replace("NoNewPrivileges=", "NoNewPriviliges="))
    done = subprocess.run([exe, "verify", str(web)], capture_output=True, text=True, timeout=120)
    assert "NoNewPriviliges" in done.stdout + done.stderr


@pytest.mark.parametrize("name", SERVICES)
def test_units__every_service_is_hardened_and_reads_the_environment_file(name):
    unit = units.read_unit(DEPLOY / name)
    for key, expected in HARDENING.items():
        assert units.values(unit, "Service", key) == [expected], f"{name}: {key}"
    (exec_start,) = units.values(unit, "Service", "ExecStart")
    assert exec_start.startswith("/srv/pantau/")
    writable = units.values(unit, "Service", "StateDirectory") + units.values(
        unit, "Service", "ReadWritePaths"
    )
    assert writable, f"{name}: ProtectSystem=strict and nowhere to write"


def test_units__the_long_running_services_run_the_pantau_commands():
    pantau = "/srv/pantau/.venv/bin/pantau"
    web = units.command(DEPLOY / "pantau-web.service", env={})
    assert web == [pantau, "serve"]  # the address is PANTAU_BIND, in the environment file
    worker = DEPLOY / "pantau-worker@.service"
    argv = units.command(worker, "3", env=units.environment_defaults(worker))
    assert argv[:4] == [pantau, "worker", "--concurrency", "2"]
    assert argv[4] == "--hostname" and argv[5].startswith("worker3@")
    assert units.command(DEPLOY / "pantau-beat.service", env={}) == [pantau, "beat"]
    assert units.is_oneshot(DEPLOY / "pantau-backup.service")


def test_env_example__is_simple_lines_and_valid_once_the_placeholders_are_filled():
    text = (DEPLOY / "pantau.env.example").read_text()
    env = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        # Read alike by systemd's EnvironmentFile= and by `. file` in a shell.
        assert re.fullmatch(r"PANTAU_[A-Z0-9_]+=[A-Za-z0-9_.,:/@+%?=-]*", line), line
        name, _, value = line.partition("=")
        assert name not in env, f"{name} twice"
        env[name] = value
    placeholders = {n for n, v in env.items() if "REPLACE_ME" in v}
    assert placeholders == {
        "PANTAU_SECRET_KEY",
        "PANTAU_PSEUDONYM_KEY",
        "PANTAU_DATABASE_URL",
        "PANTAU_WEBHOOK_PASSWORD",
        "PANTAU_WEBHOOK_TOKEN",
        "PANTAU_KOBO_TOKEN",
        "PANTAU_SMTP_URL",
    }
    with pytest.raises(Exception, match="PANTAU_SECRET_KEY"):
        load_settings(**_settings_values(env))  # a placeholder key never starts a process
    filled = {
        **env,
        "PANTAU_SECRET_KEY": "app-secret-Yt3Wq8Lm2Xc6Vb0Nz4Kp7Rd5",
        "PANTAU_PSEUDONYM_KEY": "pseudonym-Hj6Tg2Fd9Sa4Qw8Er1Uy5Io3",
    }
    # Nor does a placeholder webhook credential: anyone who read the template could post.
    with pytest.raises(Exception, match="PANTAU_WEBHOOK_TOKEN") as refused:
        load_settings(**_settings_values(filled))
    assert "PANTAU_WEBHOOK_PASSWORD" in str(refused.value)
    filled["PANTAU_WEBHOOK_TOKEN"] = "hook-token-Pz8Kd3Lq7Wm2Xc5Vb9Nt4Rj6"
    filled["PANTAU_WEBHOOK_PASSWORD"] = "hook-pass-Gh5Tr9Ek2Sw7Qz3Mn8Lb4Vc1"
    settings = load_settings(**_settings_values(filled))
    assert settings.env == "production" and not settings.is_sqlite
    assert settings.broker_url.startswith("redis://")
    assert settings.public_url.startswith("https://")
    # Every Pantau setting named in the file is one Settings knows, or one the deploy reads.
    known = {f"PANTAU_{name.upper()}" for name in type(settings).model_fields}
    extra = {"PANTAU_BACKUP_DIR", "PANTAU_BACKUP_KEEP"}
    assert set(env) - known == extra


def _settings_values(env: dict[str, str]) -> dict[str, str]:
    return {k.removeprefix("PANTAU_").lower(): v for k, v in env.items()}


def test_nginx__body_limit_sits_just_above_the_webhook_limit():
    conf = (DEPLOY / "nginx-pantau.conf").read_text()
    env = dict(
        line.split("=", 1)
        for line in (DEPLOY / "pantau.env.example").read_text().splitlines()
        if line.startswith("PANTAU_")
    )
    webhook = int(env["PANTAU_WEBHOOK_MAX_BYTES"])
    (size,) = re.findall(r"^\s*client_max_body_size\s+(\d+)([km]?);", conf, re.M)
    limit = int(size[0]) * {"": 1, "k": 1024, "m": 1024 * 1024}[size[1]]
    # Pantau answers an oversized delivery itself (413 and a dead letter); nginx only beyond.
    assert webhook < limit <= webhook * 1.25
    assert re.search(r"^\s*proxy_request_buffering on;", conf, re.M)
    assert re.search(r"location = /webhooks/kobo \{", conf)
    # nginx passes requests to where the web listens: PANTAU_BIND, on loopback.
    assert env["PANTAU_BIND"].startswith("127.0.0.1:")
    assert f"server {env['PANTAU_BIND']};" in conf


@pytest.mark.parametrize("name", SERVICES)
def test_units__exec_start_is_in_the_checkout_and_runs(name, tmp_path):
    # Without systemd-analyze too: the unit's program exists where `make venv` puts it.
    layout = Layout(root=ROOT, base=tmp_path, port=5000)
    copy = next(p for p in layout.install_units() if p.name == name)
    program = units.command(copy, "1", env=units.environment_defaults(copy))[0]
    assert program.startswith(str(ROOT)), program
    assert os.access(program, os.X_OK), f"{name}: {program} is not an executable file"
    if program.endswith("/pantau"):
        args = units.command(copy, "1", env=units.environment_defaults(copy))[1:]
        # The options the unit passes exist: --help after them exits 0, a typo exits 2.
        done = subprocess.run(
            [program, *args, "--help"], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr


def test_backup_timer__runs_as_the_guide_says():
    """The guide's schedule (section 6) is what the timer and the service's retries do."""
    timer = units.read_unit(DEPLOY / "pantau-backup.timer")
    assert units.values(timer, "Timer", "OnCalendar") == ["*-*-* 02:30:00"]
    assert units.values(timer, "Timer", "RandomizedDelaySec") == ["15min"]
    assert units.values(timer, "Timer", "Persistent") == ["true"]  # missed runs run at boot
    service = units.read_unit(DEPLOY / "pantau-backup.service")
    # A failed run is retried twice, ten minutes apart: three starts fit in the hour.
    assert units.is_oneshot(DEPLOY / "pantau-backup.service")
    assert units.values(service, "Service", "Restart") == ["on-failure"]
    assert units.values(service, "Service", "RestartSec") == ["10min"]
    assert units.values(service, "Unit", "StartLimitBurst") == ["3"]
    assert units.values(service, "Unit", "StartLimitIntervalSec") == ["1h"]
    guide = " ".join((ROOT / "docs" / "deploy.md").read_text().split())
    assert "daily between 02:30 and 02:45" in guide
    assert "retried twice, ten minutes apart" in guide
