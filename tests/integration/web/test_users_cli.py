"""`pantau users …` and `pantau audit` through the CLI, on both databases."""

from __future__ import annotations

import hashlib
import json

from click.testing import CliRunner
from sqlalchemy import select

from cli.main import main
from core.store.models import ApiToken
from tests.conftest import pantau_env


def _run(settings, *args, input=None):
    return CliRunner().invoke(main, list(args), env=pantau_env(settings), input=input)


def test_users_add__checks_the_wilayah_each_role_needs(settings):
    assert _run(settings, "users", "add", "t", "--role", "tpps").exit_code == 2
    assert "exactly one --wilayah" in _run(settings, "users", "add", "t", "--role", "tpps").output
    bad = _run(settings, "users", "add", "t", "--role", "tpps", "--wilayah", "99.99")
    assert bad.exit_code == 2 and "not a Kemendagri code" in bad.output
    kec = _run(settings, "users", "add", "p", "--role", "supervisor", "--wilayah", "32.77.01")
    assert kec.exit_code == 2 and "desa/kelurahan" in kec.output
    ok = _run(
        settings,
        "users",
        "add",
        "pkb",
        "--role",
        "supervisor",
        "--wilayah",
        "3277011001",
        "--wilayah",
        "32.77.01.1002",
    )
    assert ok.exit_code == 0 and "32.77.01.1001, 32.77.01.1002" in ok.output
    assert _run(settings, "users", "add", "root", "--role", "admin").exit_code == 0
    rows = json.loads(_run(settings, "users", "list", "--json").stdout)
    assert {r["name"]: r["wilayah"] for r in rows} == {
        "pkb": "32.77.01.1001,32.77.01.1002",
        "root": "*",
    }


def test_users_token__is_printed_once_and_only_its_hash_is_stored(settings, session_factory):
    _run(settings, "users", "add", "t", "--role", "tpps", "--wilayah", "32.77.01.1001")
    token = _run(settings, "users", "token", "t").stdout.strip()
    assert token.startswith("pnt_") and len(token) > 40
    with session_factory() as s:
        stored = s.scalars(select(ApiToken.token_sha256)).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    listing = _run(settings, "users", "list").stdout
    assert token not in listing and "t " in listing
    revoked = _run(settings, "users", "revoke", "t")
    assert revoked.exit_code == 0 and "1 token" in revoked.output
    assert _run(settings, "users", "token", "nobody").exit_code == 2


def test_users_password__refuses_a_short_one_and_asks_twice(settings):
    _run(settings, "users", "add", "t", "--role", "tpps", "--wilayah", "32.77.01.1001")
    short = _run(settings, "users", "password", "t", "--stdin", input="pendek\n")
    assert short.exit_code == 2 and "at least 10" in short.output
    typed = _run(settings, "users", "password", "t", input="panjang-sekali-1\npanjang-sekali-1\n")
    assert typed.exit_code == 0, typed.output
    rows = json.loads(_run(settings, "users", "list", "--json").stdout)
    assert rows[0]["password"] is True


def test_audit__lists_changes_by_user_and_since(settings):
    _run(settings, "users", "add", "t", "--role", "tpps", "--wilayah", "32.77.01.1001")
    _run(settings, "users", "token", "t")
    rows = json.loads(_run(settings, "audit", "--json").stdout)
    assert [r["action"] for r in rows] == ["user.add", "user.token"]
    assert all(r["actor"].startswith("cli:") and r["target"] == "t" for r in rows)
    assert json.loads(_run(settings, "audit", "--since", "2999-01-01", "--json").stdout) == []
    assert json.loads(_run(settings, "audit", "--user", "someone", "--json").stdout) == []
    assert _run(settings, "audit", "--since", "yesterday").exit_code == 2
