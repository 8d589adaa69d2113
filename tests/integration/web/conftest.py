"""One seeded district per database backend, shared by the web tests of a module.

The tests read it through HTTP (the Flask test client) and the CLI; tests that change it
(referral updates) only add to it.
"""

from __future__ import annotations

import shutil
import uuid

import pytest
import sqlalchemy as sa

from core.store.db import make_engine, make_session_factory
from tests.conftest import BACKENDS, PG_TEMPLATE, make_settings
from tests.integration.intake.conftest import AUTH
from tests.support.kobo_sandbox import start_kobo_sandbox
from tests.support.web import World, seed_world


def _database(backend: str, request: pytest.FixtureRequest, tmp) -> str:
    if backend == "sqlite":
        path = tmp / "var" / "pantau.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(request.getfixturevalue("_sqlite_template"), path)
        return f"sqlite:///{path}"
    admin_url = request.getfixturevalue("_pg_admin_url")
    name = f"w_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{PG_TEMPLATE}"'))

    def _drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    request.addfinalizer(_drop)
    return admin_url.rsplit("/", 1)[0] + "/" + name


def make_district(backend: str, request, tmp_path_factory):
    """Seed a district on backend; yield (settings, app, world), then dispose of it."""
    from service.app import create_app

    tmp = tmp_path_factory.mktemp(f"web-{backend}")
    settings = make_settings(
        tmp,
        database_url=_database(backend, request, tmp),
        public_url="https://pantau.example.go.id",
    )
    engine = make_engine(settings)
    factory = make_session_factory(engine)
    app = create_app(settings)
    client = app.test_client()

    def deliver(record: dict) -> int:
        return client.post("/webhooks/kobo", json=record, headers=AUTH).status_code

    with start_kobo_sandbox(tmp / "kobo.db", hook_timeout=5, seed=1) as sandbox:
        world = seed_world(settings, sandbox, factory, deliver, tmp)
    yield settings, app, world
    app.extensions["pantau.engine"].dispose()
    engine.dispose()


@pytest.fixture(scope="module", params=BACKENDS)
def district(request, tmp_path_factory):
    """(settings, app, world): the seeded district on one backend and an app serving it."""
    yield from make_district(request.param, request, tmp_path_factory)


@pytest.fixture
def web(district):
    """A test client of the district's app and what the seed made."""
    settings, app, world = district
    return app.test_client(), world, settings


def bearer(world: World, user: str) -> dict[str, str]:
    """The Authorization header of a seeded user."""
    return {"Authorization": f"Bearer {world.tokens[user]}"}
