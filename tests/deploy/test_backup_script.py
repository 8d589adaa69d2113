"""deploy/pantau-backup.sh with stand-in pg_dump/pg_restore: URL, password, retention, failures.

The real pg_dump and pg_restore run in test_guide.py; here every branch, in milliseconds.
"""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest

from tests.deploy.guide import DEPLOY

SCRIPT = DEPLOY / "pantau-backup.sh"
FAKE_PG_DUMP = """#!/usr/bin/env python3
import json, os, sys
if os.environ.get("FAKE_PG_DUMP_FAIL"):
    open([a for a in sys.argv if a.startswith("--file=")][0][7:], "w").write("half")
    sys.exit("pg_dump: error: connection refused")
out = [a for a in sys.argv if a.startswith("--file=")][0][7:]
with open(out, "w") as f:
    json.dump({"argv": sys.argv[1:], "password": os.environ.get("PGPASSWORD")}, f)
"""
FAKE_PG_RESTORE = """#!/bin/sh
[ "$1" = --list ] && grep -q argv "$2"
"""


@pytest.fixture
def fake_bin(tmp_path):
    folder = tmp_path / "bin"
    folder.mkdir()
    for name, text in (("pg_dump", FAKE_PG_DUMP), ("pg_restore", FAKE_PG_RESTORE)):
        (folder / name).write_text(text)
        (folder / name).chmod(0o755)
    return folder


def _run(fake_bin, backups, url, **env):
    environ = {
        "PATH": f"{fake_bin}:/usr/bin:/bin",
        "PANTAU_DATABASE_URL": url,
        "PANTAU_BACKUP_DIR": str(backups),
        **env,
    }
    return subprocess.run([str(SCRIPT)], env=environ, capture_output=True, text=True, timeout=60)


def _dumps(backups):
    return sorted(p.name for p in backups.glob("pantau-*.dump"))


def test_backup__password_goes_to_pgpassword_never_on_the_command_line(fake_bin, tmp_path):
    url = "postgresql+psycopg://pantau:p%40ss%2Fw0rd@db.example:5433/pantau?sslmode=require"
    done = _run(fake_bin, tmp_path / "backups", url)
    assert done.returncode == 0, done.stderr
    (name,) = _dumps(tmp_path / "backups")
    assert f"pantau-backup: {tmp_path / 'backups' / name}" in done.stdout
    dumped = json.loads((tmp_path / "backups" / name).read_text())
    assert dumped["password"] == "p@ss/w0rd"  # percent-decoded, as SQLAlchemy reads the URL
    assert "--format=custom" in dumped["argv"]
    assert "--dbname=postgresql://pantau@db.example:5433/pantau?sslmode=require" in dumped["argv"]
    assert not any("w0rd" in arg for arg in dumped["argv"])
    assert oct((tmp_path / "backups" / name).stat().st_mode & 0o777) == "0o600"


def test_backup__keeps_the_newest_dumps_only_after_a_good_one(fake_bin, tmp_path):
    backups = tmp_path / "backups"
    backups.mkdir()
    old = [backups / f"pantau-2026110{d}T023000Z.dump" for d in (1, 2, 3)]
    for age, path in enumerate(reversed(old), start=1):
        path.write_text("old")
        stamp = time.time() - age * 86400
        os.utime(path, (stamp, stamp))
    url = "postgresql+psycopg://pantau@127.0.0.1/pantau"

    failed = _run(fake_bin, backups, url, PANTAU_BACKUP_KEEP="2", FAKE_PG_DUMP_FAIL="1")
    assert failed.returncode != 0
    assert _dumps(backups) == [p.name for p in old]  # nothing removed, no half file left
    assert not list(backups.glob("*.partial"))

    done = _run(fake_bin, backups, url, PANTAU_BACKUP_KEEP="2")
    assert done.returncode == 0, done.stderr
    kept = _dumps(backups)
    assert len(kept) == 2 and old[2].name in kept and old[0].name not in kept
    assert f"removed {old[0]}" in done.stdout and f"removed {old[1]}" in done.stdout


@pytest.mark.parametrize(
    ("url", "keep", "message"),
    [
        ("sqlite:////var/lib/pantau/pantau.db", "14", "not a PostgreSQL URL"),
        ("postgresql+psycopg://pantau@db/pantau", "0", "PANTAU_BACKUP_KEEP"),
        ("", "14", "PANTAU_DATABASE_URL"),
    ],
)
def test_backup__refuses_what_it_cannot_back_up(fake_bin, tmp_path, url, keep, message):
    done = _run(fake_bin, tmp_path / "backups", url, PANTAU_BACKUP_KEEP=keep)
    assert done.returncode != 0 and message in done.stderr
    assert not (tmp_path / "backups").exists()  # refused before anything was made
