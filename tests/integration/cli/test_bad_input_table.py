"""Every command, as a new district admin meets it: no configuration, a wrong one, bad arguments.

Each row runs one command in-process and asserts the exit code (2 bad input, 1 failure), exactly
the expected lines on stderr (one unless said), a word of that line, no traceback, nothing on
stdout, and nothing written: no file or folder in the working directory, no row in the database.
`test_every_command_has_rows` fails for a command the table does not cover, so a new command
comes with its rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click
import pytest

from cli.main import main
from tests.integration.cli.conftest import Admin, table_counts, tree

NONE, GOOD = "none", "good"
# Commands that never read settings (local stand-in servers) or make their own keys (the demo,
# which with no configuration at all would start the whole pipeline): bad arguments only.
NO_SETTINGS = {"sandbox kobo", "sandbox central"}
STARTS_WITHOUT_CONFIG = {"demo"}

KOBO = {"PANTAU_KOBO_URL": "http://127.0.0.1:9", "PANTAU_KOBO_TOKEN": "t0ken"}
MISSING_DB = {"PANTAU_DATABASE_URL": "sqlite:///{home}/nonexistent/dir/p.db"}
PG_DOWN = {"PANTAU_DATABASE_URL": "postgresql+psycopg://pantau:pw@127.0.0.1:9/pantau"}


@dataclass(frozen=True)
class Row:
    """One invocation and what it must end with."""

    args: tuple[str, ...]
    env: str | dict[str, str] = GOOD  # NONE: no PANTAU_* at all; a dict: GOOD plus these
    code: int = 2
    says: str = ""  # a fragment of the (first) stderr line
    lines: int = 1
    stdin: str | None = None
    dead_letters: bool = False  # refused records are kept as dead letters, by design
    summary: bool = False  # a replay still prints what it did (0 stored) on stdout
    kind: str = field(default="")

    @property
    def command(self) -> str:
        """The command path the row exercises (options and arguments left out)."""
        words = []
        node: click.Command = main
        for arg in self.args:
            if not isinstance(node, click.Group) or arg not in node.commands:
                break
            node = node.commands[arg]
            words.append(arg)
        return " ".join(words)


def none(*args: str, **kw) -> Row:
    """No configuration at all: production by default, so no keys."""
    return Row(args, NONE, 2, kw.pop("says", "PANTAU_PSEUDONYM_KEY"), kind="no config", **kw)


def config(env: dict[str, str], *args: str, code: int = 2, says: str = "", **kw) -> Row:
    """A wrong setting."""
    return Row(args, env, code, says, kind="bad config", **kw)


def bad(*args: str, code: int = 2, says: str = "", env: str | dict = GOOD, **kw) -> Row:
    """Good configuration (plus env), bad arguments."""
    return Row(args, env, code, says, kind="bad args", **kw)


ROWS = [
    # -- the silent successes ---------------------------------------------------------
    bad("score", "imp", "--period", "garbage", says="YYYY-MM"),
    bad("score", "imp", "--period", "2026-13", says="2026-13"),
    bad("score", "imp", "--wilayah", "99", says="Kemendagri"),
    bad("pull", "--since", "garbage", says="--since"),
    bad("pull", "--server", "central", "--since", "1200", says="Central"),
    config({"PANTAU_FORMS_DIR": "/nonexistent"}, "forms", "lint", says="PANTAU_FORMS_DIR"),
    config({"PANTAU_FORMS_DIR": "/nonexistent"}, "forms", "build", says="PANTAU_FORMS_DIR"),
    config(MISSING_DB, "imps", "list", says="no database at"),
    config({"PANTAU_ENV": "prod"}, "imps", "list", says="PANTAU_ENV"),
    bad("forms", "versions", "nosuchform", says="nosuchform"),
    bad("intake", "replay", "{inputs}/refused", says="refused", dead_letters=True, summary=True),
    bad("intake", "replay", "{inputs}/unreadable", says="b.json", summary=True),
    # -- the tracebacks ---------------------------------------------------------------
    config(PG_DOWN, "imps", "list", code=1, says="database unavailable"),
    config({"PANTAU_RULES_DIR": "/nonexistent"}, "score", "imp", says="PANTAU_RULES_DIR"),
    config({"PANTAU_RULES_DIR": "{inputs}/rules"}, "score", "families", says="below_months"),
    config({"PANTAU_LOG_LEVEL": "LOUD"}, "score", "imp", says="PANTAU_LOG_LEVEL"),
    bad("db", "upgrade", "--revision", "garbage", says="garbage"),
    config({"PANTAU_BIND": "nowhere"}, "serve", says="PANTAU_BIND"),
    config({"PANTAU_WEB_WORKERS": "0"}, "serve", says="PANTAU_WEB_WORKERS"),
    # -- publishing ---------------------------------------------------------------------------
    config(
        {"PANTAU_KOBO_URL": "https://kf.kobotoolbox.org", "PANTAU_KOBO_TOKEN": "t0ken"},
        "forms",
        "publish",
        "profil_imp",
        "--to",
        "kobo",
        says="PANTAU_PUBLIC_URL",
    ),  # fmt: skip
    bad("forms", "publish", "--to", "kobo", says="--all"),
    bad("forms", "publish", "nosuchform", "--to", "kobo", says="nosuchform", env=KOBO),
    # -- no configuration: every command that reads settings ----------------------------------
    none("alerts", "digest"),
    none("alerts", "list"),
    none("alerts", "set-status", "1", "dirujuk"),
    none("audit"),
    none("beat"),
    none("db", "upgrade"),
    none("doctor"),
    none("export", "tiers", "-o", "tiers.csv"),
    none("forms", "build"),
    none("forms", "dump", "profil_imp"),
    none("forms", "lint"),
    none("forms", "publish", "profil_imp", "--to", "kobo"),
    none("forms", "versions", "profil_imp"),
    none("imps", "import", "{inputs}/imps.csv"),
    none("imps", "list"),
    none("intake", "dead-letters"),
    none("intake", "problems"),
    none("intake", "replay", "{inputs}/refused"),
    none("keys", "check"),
    none("keys", "rotate"),
    none("pull"),
    none("recipients", "import", "{inputs}/recipients.csv"),
    none("recipients", "list"),
    none("recipients", "remove", "somebody"),
    none("score", "families"),
    none("score", "imp"),
    none("serve"),
    none("sweep"),
    none("users", "add", "ani", "--role", "admin"),
    none("users", "list"),
    none("users", "password", "ani", "--stdin", stdin="a-long-password\n"),
    none("users", "revoke", "ani"),
    none("users", "token", "ani"),
    none("wilayah", "load", "--prefix", "32.77"),
    none("worker"),
    # -- a wrong configuration: one per command -----------------------------------------------
    config(MISSING_DB, "alerts", "digest", says="no database at"),
    config(MISSING_DB, "alerts", "list", says="no database at"),
    config(MISSING_DB, "alerts", "set-status", "1", "dirujuk", says="no database at"),
    config(MISSING_DB, "audit", says="no database at"),
    config(MISSING_DB, "beat", says="no database at"),
    config({"PANTAU_DATABASE_URL": "mysql://x/y"}, "db", "upgrade", says="PANTAU_DATABASE_URL"),
    config({"PANTAU_LOG_LEVEL": "LOUD"}, "demo", says="PANTAU_LOG_LEVEL"),
    config({"PANTAU_ENV": "prod"}, "doctor", says="PANTAU_ENV"),
    config(MISSING_DB, "export", "families", "-o", "f.csv", says="no database at"),
    config({"PANTAU_FORMS_DIR": "/nonexistent"}, "forms", "dump", "profil_imp", says="FORMS"),
    config(MISSING_DB, "forms", "versions", "profil_imp", says="no database at"),
    config(MISSING_DB, "imps", "import", "{inputs}/imps.csv", says="no database at"),
    config(MISSING_DB, "intake", "dead-letters", says="no database at"),
    config(MISSING_DB, "intake", "problems", says="no database at"),
    config(MISSING_DB, "intake", "replay", "{inputs}/refused", says="no database at"),
    config(MISSING_DB, "keys", "check", says="no database at"),
    config(
        {**MISSING_DB, "PANTAU_NEW_PSEUDONYM_KEY": "new-pseudonym-key-Zq8Wv2Lm5Tx9Rb3Nc7Hd"},
        "keys",
        "rotate",
        says="no database at",
    ),  # fmt: skip
    config({}, "pull", says="PANTAU_KOBO_URL"),
    config(MISSING_DB, "recipients", "import", "{inputs}/recipients.csv", says="no database"),
    config(MISSING_DB, "recipients", "list", says="no database at"),
    config(MISSING_DB, "recipients", "remove", "somebody", says="no database at"),
    config({"PANTAU_ENV": "prod"}, "score", "families", says="PANTAU_ENV"),
    config({}, "sweep", says="PANTAU_KOBO_URL"),
    config(MISSING_DB, "users", "add", "ani", "--role", "admin", says="no database at"),
    config(MISSING_DB, "users", "list", says="no database at"),
    config(MISSING_DB, "users", "password", "ani", "--stdin", says="no database", stdin="pw\n"),
    config(MISSING_DB, "users", "revoke", "ani", says="no database at"),
    config(MISSING_DB, "users", "token", "ani", says="no database at"),
    config(MISSING_DB, "wilayah", "load", "--prefix", "32.77", says="no database at"),
    config(MISSING_DB, "worker", says="no database at"),
    config(MISSING_DB, "serve", says="no database at"),
    config({"PANTAU_BROKER_URL": "amqp://x"}, "worker", says="PANTAU_BROKER_URL"),
    # -- bad arguments: one per command -------------------------------------------------------
    bad("alerts", "digest", "--bogus", says="--bogus"),
    bad("alerts", "list", "--status", "bogus", says="--status"),
    bad("alerts", "set-status", "999", "dirujuk", says="999"),
    bad("audit", "--since", "garbage", says="--since"),
    bad("beat", "--bogus", says="--bogus"),
    bad("demo", "--port", "x", says="--port"),
    bad("doctor", "--bogus", says="--bogus"),
    bad("export", "tiers", "--format", "xlsx", "-o", "tiers.csv", says=".xlsx"),
    bad("export", "families", "-o", "/nonexistent/f.csv", says="/nonexistent"),
    bad("export", "tiers", "--period", "2026-13", "-o", "t.csv", says="2026-13"),
    bad("export", "tiers", "--wilayah", "99", "-o", "t.csv", says="Kemendagri"),
    bad("forms", "build", "nosuchform", says="nosuchform"),
    bad("forms", "dump", "nosuchform", says="nosuchform"),
    bad("forms", "lint", "nosuchform", says="nosuchform"),
    bad("imps", "import", "{inputs}/imps.csv", says="imps.csv", lines=2),
    bad("imps", "list", "--wilayah", "99", says="Kemendagri"),
    bad("intake", "dead-letters", "--limit", "0", says="--limit"),
    bad("intake", "problems", "--limit", "-1", says="--limit"),
    bad("intake", "replay", "{home}/nothing-here", says="does not exist"),
    bad("keys", "check", "--bogus", says="--bogus"),
    bad("keys", "rotate", "--bogus", says="--bogus"),
    config({"PANTAU_NEW_PSEUDONYM_KEY": "short"}, "keys", "rotate", says="PANTAU_NEW_PSEUDONYM"),
    bad("pull", "nosuchform", says="nosuchform", env=KOBO),
    bad("recipients", "import", "{inputs}/recipients.csv", says="recipients.csv", lines=2),
    bad("recipients", "list", "--bogus", says="--bogus"),
    bad("recipients", "remove", "nobody", says="nobody"),
    bad("sandbox", "central", "--port", "x", says="--port"),
    bad("sandbox", "kobo", "--faults", "garbage", says="--faults"),
    bad("score", "families", "--wilayah", "32.7", says="Kemendagri"),
    bad("score", "imp", "--explain", "PPKBD-NOPE", "--period", "2026-10", says="PPKBD-NOPE"),
    bad("serve", "--port", "x", says="--port"),
    bad("sweep", "nosuchform", says="nosuchform", env=KOBO),
    bad("users", "add", "ani", "--role", "nope", says="--role"),
    bad("users", "list", "--bogus", says="--bogus"),
    bad("users", "password", "nobody", "--stdin", says="nobody", stdin="a-long-password\n"),
    bad("users", "revoke", "nobody", says="nobody"),
    bad("users", "token", "nobody", says="nobody"),
    bad("wilayah", "load", "--prefix", "99", says="Kemendagri"),
    bad("worker", "--concurrency", "x", says="--concurrency"),
    bad("bogus", says="bogus"),
]


def _leaves(group: click.Group, prefix: str = "") -> list[str]:
    out = []
    for name, command in sorted(group.commands.items()):
        path = f"{prefix}{name}"
        if isinstance(command, click.Group):
            out += _leaves(command, path + " ")
        else:
            out.append(path)
    return out


def test_every_command_has_rows():
    """Each command: no config (if it reads settings), a bad config and bad arguments."""
    kinds: dict[str, set[str]] = {}
    for row in ROWS:
        kinds.setdefault(row.command, set()).add(row.kind)
    missing = []
    for command in _leaves(main):
        wanted = {"bad args"}
        if command not in NO_SETTINGS:
            wanted.add("bad config")
            if command not in STARTS_WITHOUT_CONFIG:
                wanted.add("no config")
        if lacking := wanted - kinds.get(command, set()):
            missing.append(f"{command}: {', '.join(sorted(lacking))}")
    assert not missing, "commands without rows in the table:\n" + "\n".join(missing)


def _inputs(root: Path) -> Path:
    inputs = root / "inputs"
    (inputs / "refused").mkdir(parents=True)
    (inputs / "refused" / "a.json").write_text('[{"no": "instance id"}, {"_id": 1}]')
    (inputs / "unreadable").mkdir()
    (inputs / "unreadable" / "b.json").write_bytes(b"\xff\xfe not utf-8")
    (inputs / "imps.csv").write_text("code,name\nP1,Pos KB\n")
    (inputs / "recipients.csv").write_text("name,channel\nani,email\n")
    rules = inputs / "rules"
    rules.mkdir()
    source = Path(__file__).resolve().parents[3] / "config" / "rules"
    for f in source.glob("*.toml"):
        text = f.read_text()
        if f.name == "krs.toml":
            text = text.replace("below_months = 24", 'below_months = "x"')
        (rules / f.name).write_text(text)
    return inputs


def _ids(row: Row) -> str:
    return f"{row.kind}: {' '.join(row.args)}" + (
        f" [{row.says}]" if row.kind != "no config" else ""
    )


@pytest.mark.parametrize("row", ROWS, ids=_ids)
def test_bad_input_is_one_line_a_code_and_nothing_written(row: Row, admin: Admin, tmp_path: Path):
    inputs = _inputs(tmp_path)
    fill = {"home": str(admin.home), "inputs": str(inputs)}
    args = [a.format(**fill) for a in row.args]
    if row.env == NONE:
        env: dict[str, str] = {}
    elif row.env == GOOD:
        env = dict(admin.good_env)
    else:
        env = {**admin.good_env, **{k: v.format(**fill) for k, v in row.env.items()}}
    files, rows = tree(tmp_path), table_counts(admin.db)

    result = admin.run(args, env, stdin=row.stdin)

    lines = result.stderr.splitlines()
    assert result.exit_code == row.code, result.output
    assert "Traceback" not in result.output, result.output
    assert len(lines) == row.lines, result.stderr
    assert row.says in lines[-1 if row.dead_letters else 0], result.stderr
    assert result.stdout == "" or row.summary, result.stdout
    assert tree(tmp_path) == files, "files or folders were made"
    after = table_counts(admin.db)
    if row.dead_letters:
        after["dead_letters"] = rows.get("dead_letters", 0)
    assert after == rows, "rows were written"
