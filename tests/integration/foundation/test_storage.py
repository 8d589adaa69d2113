import sqlalchemy as sa
from click.testing import CliRunner

from cli.main import main
from core.store.db import make_engine
from core.store.migrate import current
from core.store.models import Wilayah
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
