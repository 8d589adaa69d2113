import time

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from cli.main import main
from core.store.db import make_engine, make_session_factory
from core.store.files import private_file
from core.store.inserts import INSERT_COLUMNS, insert_checked
from core.store.migrate import current, upgrade
from core.store.models import Wilayah, utcnow
from tests.conftest import pantau_env

EXPECTED_TABLES = {
    "wilayah",
    "institutions",
    "form_versions",
    "publications",
    "submissions",
    "dead_letters",
    "pull_cursors",
    "facts",
    "tier_assessments",
    "families",
    "risk_assessments",
    "alerts",
    "recipients",
    "deliveries",
    "users",
    "api_tokens",
    "audit_log",
    "job_locks",
    "domain_events",
}


def test_migrations__create_the_whole_domain_on_each_backend(settings):
    engine = make_engine(settings)
    assert current(engine) is not None
    assert EXPECTED_TABLES <= set(sa.inspect(engine).get_table_names())
    engine.dispose()


def test_cli__db_upgrade_is_idempotent(settings):
    runner = CliRunner()
    env = pantau_env(settings)
    for _ in range(2):
        result = runner.invoke(main, ["db", "upgrade"], env=env)
        assert result.exit_code == 0, result.output
        assert "database at revision" in result.output


def test_cli__wilayah_load_kota_cimahi(settings, session_factory):
    result = CliRunner().invoke(
        main, ["wilayah", "load", "--prefix", "32.77"], env=pantau_env(settings)
    )
    assert result.exit_code == 0, result.output
    with session_factory() as s:
        melong = s.get(Wilayah, "32.77.01.1001")
        assert melong.name == "Melong"
        assert melong.kind == "kelurahan"
        assert melong.parent_code == "32.77.01"
        assert s.get(Wilayah, "32.77").kind == "kota"
        assert s.get(Wilayah, "32").level == 1  # ancestors come along
        kel = s.scalars(sa.select(Wilayah).where(Wilayah.level == 4)).all()
        assert len(kel) == 15  # Kota Cimahi has 15 kelurahan
        assert all(w.code.startswith("32.77.") for w in kel)


def test_cli__wilayah_load_twice_updates_in_place(settings, session_factory):
    runner = CliRunner()
    for _ in range(2):
        assert (
            runner.invoke(
                main, ["wilayah", "load", "--prefix", "32.77.01"], env=pantau_env(settings)
            ).exit_code
            == 0
        )
    with session_factory() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Wilayah)) == 1 + 1 + 1 + 5


def test_cli__unknown_wilayah_prefix_is_refused(settings):
    result = CliRunner().invoke(
        main, ["wilayah", "load", "--prefix", "99.99"], env=pantau_env(settings)
    )
    assert result.exit_code == 2
    assert "99.99" in result.output


def test_embedded_database__var_folder_0700_and_database_files_0600(tmp_path):
    from tests.conftest import make_settings

    settings = make_settings(tmp_path)  # sqlite:///<tmp>/var/pantau.db, var/ not made yet
    engine = make_engine(settings)
    upgrade(engine)
    with engine.begin() as conn:  # keep a connection open so the WAL and shared memory exist
        conn.execute(sa.text("INSERT INTO job_locks VALUES ('x', 'y', '2026-01-01')"))
        var = settings.var_dir
        assert var.stat().st_mode & 0o777 == 0o700
        for name in ("pantau.db", "pantau.db-wal", "pantau.db-shm"):
            assert (var / name).stat().st_mode & 0o777 == 0o600, name
    engine.dispose()


def test_embedded_database__left_readable_by_an_older_run_is_tightened(tmp_path):
    from tests.conftest import make_settings

    settings = make_settings(tmp_path)
    settings.var_dir.mkdir(mode=0o755)
    (settings.var_dir / "pantau.db").touch(mode=0o644)
    settings.var_dir.chmod(0o755)
    (settings.var_dir / "pantau.db").chmod(0o644)
    make_engine(settings).dispose()
    assert settings.var_dir.stat().st_mode & 0o777 == 0o700
    assert (settings.var_dir / "pantau.db").stat().st_mode & 0o777 == 0o600


def test_embedded_database__side_files_tightened_if_there_and_never_made(tmp_path):
    from tests.conftest import make_settings

    settings = make_settings(tmp_path)
    settings.var_dir.mkdir(mode=0o700)
    (settings.var_dir / "pantau.db-wal").touch(mode=0o644)
    (settings.var_dir / "pantau.db-wal").chmod(0o644)
    # A -shm that is gone by the time it is looked at (SQLite removes it when another
    # process's last connection closes): a link to nothing stands for it.
    (settings.var_dir / "pantau.db-shm").symlink_to(tmp_path / "gone")
    make_engine(settings).dispose()
    assert (settings.var_dir / "pantau.db-wal").stat().st_mode & 0o777 == 0o600
    assert not (settings.var_dir / "pantau.db-journal").exists()  # SQLite's to make
    # The same race met where a file is made if missing: there, it had failed the start.
    private_file(settings.var_dir / "pantau.db-shm")


def test_database_errors__never_list_the_bound_parameters(settings):
    # PostgreSQL's own DETAIL may still quote a failing row: Pantau never stores or logs a
    # database error's text (see test_privacy), only its class.
    engine = make_engine(settings)
    kk = "3277010101900011"
    with pytest.raises(sa.exc.IntegrityError) as err, engine.begin() as conn:
        conn.execute(
            sa.text("INSERT INTO job_locks (name, owner, expires_at) VALUES (:n, :o, NULL)"),
            {"n": kk, "o": kk},
        )
    assert "[parameters:" not in str(err.value)
    assert "hidden due to hide_parameters" in str(err.value)
    engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_pooled_connection_the_server_ended_is_replaced_at_checkout(settings):
    # What a PostgreSQL restart does to every idle connection in a web process's pool.
    engine = make_engine(settings)
    other = make_engine(settings)
    try:
        with engine.connect() as conn:
            pid = conn.scalar(sa.text("SELECT pg_backend_pid()"))
        with other.connect() as admin:
            assert admin.scalar(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid})
            # pg_terminate_backend only signals: wait until that backend is gone.
            for _ in range(100):
                gone = not admin.scalar(
                    sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p"), {"p": pid}
                )
                if gone:
                    break
                time.sleep(0.05)
        with engine.connect() as conn:  # the first statement works, on a new backend
            assert conn.scalar(sa.text("SELECT pg_backend_pid()")) != pid
        assert engine.pool.checkedin() == 1  # the dead one was dropped, not kept beside it
    finally:
        engine.dispose()
        other.dispose()


def _terminate(admin_engine, pid: int) -> None:
    """End backend pid and wait until it is gone (pg_terminate_backend only signals)."""
    with admin_engine.connect() as admin:
        assert admin.scalar(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        for _ in range(100):
            if not admin.scalar(
                sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p"), {"p": pid}
            ):
                return
            time.sleep(0.05)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_connection_lost_under_the_pipelined_insert_renews_the_whole_pool(settings):
    # The webhook's lock and INSERT go to psycopg directly (one pipeline). A connection lost
    # there must be handled as SQLAlchemy handles it: an invalidated OperationalError, and
    # every connection of the pool opened before it replaced (a failover leaves them dead).
    engine = make_engine(settings)
    other = make_engine(settings)
    pid_sql = sa.text("SELECT pg_backend_pid()")
    try:
        with engine.connect() as a, engine.connect() as b:
            before = {a.scalar(pid_sql), b.scalar(pid_sql)}
        session = make_session_factory(engine)()
        _terminate(other, session.connection().scalar(pid_sql))
        row = {c: None for c in INSERT_COLUMNS} | {
            "instance_id": "i-1",
            "root_id": "i-1",
            "server": "kobo",
            "source": "webhook",
            "asset_uid": "aForm",
            "version_known": False,
            "raw": {},
            "received_at": utcnow(),
            "status": "received",
            "is_latest": True,
            "process_count": 0,
        }
        with pytest.raises(sa.exc.OperationalError) as err:
            insert_checked(session, row, "fingerprint", lock=1)
        assert err.value.connection_invalidated
        assert "i-1" not in str(err.value)  # never the parameters
        session.rollback()
        session.close()
        with engine.connect() as conn:  # the other pooled connection, alive, is not reused
            assert conn.scalar(pid_sql) not in before
    finally:
        engine.dispose()
        other.dispose()
