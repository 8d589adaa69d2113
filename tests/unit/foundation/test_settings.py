import subprocess

import pytest

from config.settings import SettingsError, load_settings
from tests.conftest import PANTAU


def test_settings__embedded_defaults_live_under_var_dir(tmp_path):
    s = load_settings(var_dir=tmp_path)
    assert s.database_url == f"sqlite:///{tmp_path / 'pantau.db'}"
    assert s.broker_url == f"sqla+sqlite:///{tmp_path / 'broker.db'}"
    assert s.is_sqlite


def test_settings__production_urls_are_taken_as_given():
    s = load_settings(
        database_url="postgresql+psycopg://u:p@db/pantau", broker_url="redis://cache:6379/0"
    )
    assert s.database_url == "postgresql+psycopg://u:p@db/pantau"
    assert s.broker_url == "redis://cache:6379/0"
    assert not s.is_sqlite


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("database_url", "nonsense", "PANTAU_DATABASE_URL"),
        ("broker_url", "amqp://x", "PANTAU_BROKER_URL"),
        ("kobo_url", "ftp://kobo", "PANTAU_KOBO_URL"),
        ("smtp_url", "http://mail", "PANTAU_SMTP_URL"),
        ("wa_url", "whatsapp", "PANTAU_WA_URL"),
    ],
)
def test_settings__bad_value_names_the_variable(field, value, named):
    with pytest.raises(SettingsError) as err:
        load_settings(**{field: value})
    assert named in str(err.value)


def test_settings__secrets_stay_out_of_repr():
    s = load_settings(
        secret_key="very-secret-value",
        webhook_password="hook-secret",
        smtp_url="smtps://mailer:mail-secret@smtp.example.org",
        wa_token="wa-secret",
    )
    for secret in ("very-secret-value", "hook-secret", "mail-secret", "wa-secret"):
        assert secret not in repr(s)


def test_settings__production_refuses_the_dev_secret():
    with pytest.raises(SettingsError, match="PANTAU_SECRET_KEY"):
        load_settings(env="production")


def test_cli__bad_setting_stops_startup_with_one_line_and_exit_2(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "PANTAU_DATABASE_URL": "nonsense", "HOME": str(tmp_path)}
    proc = subprocess.run(
        [PANTAU, "db", "upgrade"], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "PANTAU_DATABASE_URL" in lines[0]
    assert "Traceback" not in proc.stderr
