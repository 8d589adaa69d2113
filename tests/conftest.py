"""Shared fixtures: settings on a fresh database of each backend, the private Redis, ports."""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from config.settings import Settings, load_settings
from core.store.db import make_engine, make_session_factory
from core.store.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ["sqlite", "postgresql"]
# `make test` runs the suite in parallel (pytest-xdist): each worker process migrates its own
# PostgreSQL template and uses its own Redis logical database, so workers never share state.
XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
PG_TEMPLATE = f"pantau_template_{XDIST_WORKER}"
REDIS_DB = 1 + int(XDIST_WORKER.removeprefix("gw") or 0)  # 1-6; the deploy guide test uses 7
# scripts/test.sh sets this: there, a missing service is a failure, never a silent skip.
REQUIRE_SERVICES = os.environ.get("PANTAU_TEST_REQUIRE_SERVICES") == "1" or bool(
    os.environ.get("PANTAU_TEST_PG_URL")
)


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _need(var: str) -> str:
    value = os.environ.get(var)
    if value:
        return value
    if REQUIRE_SERVICES:
        pytest.fail(f"{var} is not set: run the suite through `make test`")
    pytest.skip(f"{var} not set (run through `make test` for PostgreSQL/Redis)")


# Strong keys, as PANTAU_ENV=test requires; the suite's own (never a deployment's).
TEST_KEYS: dict[str, object] = {
    "env": "test",
    "secret_key": "test-app-secret-7c1f9e2a4b6d8f0a1c3e5g7i9k",
    "pseudonym_key": "test-pseudonym-key-Qm4Xr8Tz2Vb6Nc0Lp3Hs7Jd",
}


# The same keys as environment variables, for a command run with an environment of its own.
KEY_ENV = {f"PANTAU_{k.upper()}": str(v) for k, v in TEST_KEYS.items()}


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Settings for a test: everything under tmp_path, embedded defaults unless overridden."""
    values: dict[str, object] = {
        **TEST_KEYS,
        "var_dir": tmp_path / "var",
        "build_dir": tmp_path / "build" / "forms",
        "webhook_username": "kobo",
        "webhook_password": "hook-pass",
        "webhook_token": "hook-token",
        "log_level": "WARNING",
    }
    values.update(overrides)
    return load_settings(**values)


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(load_settings(database_url=f"sqlite:///{path}", **TEST_KEYS))
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def _pg_admin_url() -> Iterator[str]:
    url = _need("PANTAU_TEST_PG_URL")
    # Migrate once into a template; each test clones it (CREATE DATABASE … TEMPLATE is fast).
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_TEMPLATE}"'))
        conn.execute(sa.text(f'CREATE DATABASE "{PG_TEMPLATE}"'))
    template = url.rsplit("/", 1)[0] + "/" + PG_TEMPLATE
    engine = make_engine(load_settings(database_url=template, **TEST_KEYS))
    upgrade(engine)
    engine.dispose()
    yield url
    admin.dispose()


def _fresh_database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if backend == "sqlite":
        template = request.getfixturevalue("_sqlite_template")
        path = tmp_path / "var" / "pantau.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(template, path)
        return f"sqlite:///{path}"
    admin_url = request.getfixturevalue("_pg_admin_url")
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{PG_TEMPLATE}"'))
    admin.dispose()

    def _drop() -> None:
        eng = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        eng.dispose()

    request.addfinalizer(_drop)
    return admin_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database backend of this test run: each DB test runs on SQLite and on PostgreSQL."""
    return request.param


@pytest.fixture
def settings(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings on a fresh, migrated database of the current backend."""
    url = _fresh_database_url(backend, request, tmp_path)
    return make_settings(tmp_path, database_url=url)


@pytest.fixture
def sqlite_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Settings:
    """Settings on a fresh, migrated SQLite database (for tests where the backend is moot)."""
    return make_settings(tmp_path, database_url=_fresh_database_url("sqlite", request, tmp_path))


@pytest.fixture
def session_factory(settings: Settings):
    """Session factory on the test's database."""
    engine = make_engine(settings)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def redis_url() -> str:
    """URL of the private Redis started by scripts/test.sh (a fresh logical DB per test)."""
    import redis

    url = _need("PANTAU_TEST_REDIS_URL")
    client = redis.Redis.from_url(f"{url}/{REDIS_DB}")
    client.flushdb()
    client.close()
    return f"{url}/{REDIS_DB}"


@pytest.fixture
def app(settings: Settings):
    """The Flask app on the test's database."""
    from service.app import create_app

    application = create_app(settings)
    yield application
    application.extensions["pantau.engine"].dispose()


@pytest.fixture
def client(app):
    """Flask test client."""
    return app.test_client()


# Figures the scenarios checked ("1,000 records stored once, ..."), printed after the run. They
# travel in the test report's user_properties: under pytest-xdist the test runs in a worker
# process and only its reports reach the process that prints the summary.
_CHECKED: list[tuple[str, str]] = []


@pytest.fixture
def checked(request: pytest.FixtureRequest):
    """Record what a test checked, as figures; `make test-reliability` prints them at the end."""

    def record(**figures: object) -> None:
        line = ", ".join(f"{name.replace('_', ' ')} {value}" for name, value in figures.items())
        request.node.user_properties.append(("checked", line))
        print(f"\n[checked] {request.node.name}: {line}")  # shown at once with -s

    return record


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "call":
        _CHECKED.extend((report.nodeid, v) for k, v in report.user_properties if k == "checked")


def pytest_terminal_summary(terminalreporter) -> None:
    """List the figures each scenario checked (only tests that record them)."""
    if _CHECKED:
        terminalreporter.write_sep("=", "figures checked")
        for nodeid, line in _CHECKED:
            terminalreporter.write_line(f"{nodeid}: {line}")


def pantau_env(settings: Settings, **extra: str) -> dict[str, str]:
    """Environment for a `pantau` subprocess using settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PANTAU_")}
    for var in ("PANTAU_TEST_PG_URL", "PANTAU_TEST_REDIS_URL"):
        if var in os.environ:
            env[var] = os.environ[var]
    env.update(
        {
            "PANTAU_VAR_DIR": str(settings.var_dir),
            "PANTAU_DATABASE_URL": settings.database_url,
            "PANTAU_BROKER_URL": settings.broker_url,
            "PANTAU_ENV": settings.env,
            "PANTAU_SECRET_KEY": settings.secret_key.get_secret_value(),
            "PANTAU_PSEUDONYM_KEY": settings.pseudonym_key.get_secret_value(),
            "PANTAU_PSEUDONYM_PREVIOUS_KEYS": settings.pseudonym_previous_keys.get_secret_value(),
            "PANTAU_WEBHOOK_USERNAME": settings.webhook_username,
            "PANTAU_WEBHOOK_PASSWORD": settings.webhook_password.get_secret_value(),
            "PANTAU_WEBHOOK_TOKEN": settings.webhook_token.get_secret_value(),
            "PANTAU_KOBO_URL": settings.kobo_url,
            "PANTAU_KOBO_TOKEN": settings.kobo_token.get_secret_value(),
            "PANTAU_LOG_LEVEL": "INFO",
            "PANTAU_RULES_DIR": str(settings.rules_dir),
            "PANTAU_FORMS_DIR": str(settings.forms_dir),
            "PANTAU_BUILD_DIR": str(settings.build_dir),
            "PANTAU_PUBLIC_URL": settings.public_url,
            "PANTAU_SMTP_URL": settings.smtp_url.get_secret_value(),
            "PANTAU_ALERT_RETRY_BASE": str(settings.alert_retry_base),
            "PANTAU_ALERT_RETRY_MAX": str(settings.alert_retry_max),
            "PANTAU_ALERT_MAX_ATTEMPTS": str(settings.alert_max_attempts),
            "PANTAU_ALERT_SWEEP_INTERVAL": str(settings.alert_sweep_interval),
            "PANTAU_PULL_INTERVAL": str(settings.pull_interval),
            "PANTAU_PROCESS_PENDING_INTERVAL": str(settings.process_pending_interval),
            "PANTAU_SWEEP_INTERVAL": str(settings.sweep_interval),
            "PANTAU_HTTP_TIMEOUT": str(settings.http_timeout),
        }
    )
    env.update(extra)
    return env


PANTAU = str(ROOT / ".venv" / "bin" / "pantau")
