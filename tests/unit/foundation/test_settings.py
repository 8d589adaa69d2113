import logging
import subprocess

import pytest

from config.settings import SettingsError, load_settings
from tests.conftest import PANTAU, TEST_KEYS

STRONG = "a-strong-pseudonym-key-9Xk2Lm7Qp4Rz8Vt1"


def test_settings__embedded_defaults_live_under_var_dir(tmp_path):
    s = load_settings(var_dir=tmp_path, **TEST_KEYS)
    assert s.database_url == f"sqlite:///{tmp_path / 'pantau.db'}"
    assert s.broker_url == f"sqla+sqlite:///{tmp_path / 'broker.db'}"
    assert s.is_sqlite


def test_settings__production_urls_are_taken_as_given():
    s = load_settings(
        database_url="postgresql+psycopg://u:p@db/pantau",
        broker_url="redis://cache:6379/0",
        **TEST_KEYS,
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
        load_settings(**{**TEST_KEYS, field: value})
    assert named in str(err.value)


def test_settings__secrets_stay_out_of_repr():
    s = load_settings(
        **{**TEST_KEYS, "webhook_password": "hook-secret"},
        smtp_url="smtps://mailer:mail-secret@smtp.example.org",
        wa_token="wa-secret",
    )
    keys = (TEST_KEYS["secret_key"], TEST_KEYS["pseudonym_key"])
    for secret in (*keys, "hook-secret", "mail-secret", "wa-secret"):
        assert secret not in repr(s)


def test_settings__production_refuses_the_dev_secret():
    with pytest.raises(SettingsError, match="PANTAU_SECRET_KEY"):
        load_settings(env="production", pseudonym_key=STRONG)


@pytest.mark.parametrize("env", ["dev", "Production", "staging", ""])
def test_settings__unknown_env_is_refused(env):
    with pytest.raises(SettingsError, match="PANTAU_ENV"):
        load_settings(**{**TEST_KEYS, "env": env})


def test_settings__env_left_unset_is_production_and_needs_real_keys(monkeypatch):
    monkeypatch.delenv("PANTAU_ENV", raising=False)
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert "PANTAU_PSEUDONYM_KEY is not set" in str(err.value)
    assert "PANTAU_SECRET_KEY" in str(err.value)


@pytest.mark.parametrize(
    ("key", "why"),
    [
        ("dev-only-not-secret", "published default"),
        ("test-secret", "published default"),
        ("short-but-random-9Xk2", "at least 32"),
        ("ab" * 20, "too few different characters"),
    ],
)
@pytest.mark.parametrize("env", ["test", "production"])
def test_settings__weak_pseudonym_key_is_refused_outside_development(env, key, why):
    with pytest.raises(SettingsError) as err:
        load_settings(env=env, secret_key=TEST_KEYS["secret_key"], pseudonym_key=key)
    assert why in str(err.value) and "PANTAU_PSEUDONYM_KEY" in str(err.value)
    assert key not in str(err.value)  # the message never quotes a key


@pytest.mark.parametrize("name", ["webhook_token", "webhook_password"])
@pytest.mark.parametrize("value", ["REPLACE_ME", "password", "short-token-123"])
def test_settings__production_refuses_a_weak_webhook_credential(name, value):
    keys = {"secret_key": STRONG + "-app", "pseudonym_key": STRONG}
    with pytest.raises(SettingsError) as err:
        load_settings(env="production", **keys, **{name: value})
    assert f"PANTAU_{name.upper()}" in str(err.value) and value not in str(err.value)
    assert load_settings(env="production", **keys, **{name: STRONG + "-hook"})  # a real one
    assert load_settings(env="production", **keys, **{name: ""})  # unset: webhook refuses all


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("pull_interval", 0, "PANTAU_PULL_INTERVAL"),
        ("process_pending_interval", -5, "PANTAU_PROCESS_PENDING_INTERVAL"),
        ("sweep_interval", 0, "PANTAU_SWEEP_INTERVAL"),
        ("alert_sweep_interval", 0, "PANTAU_ALERT_SWEEP_INTERVAL"),
        ("broker_cleanup_interval", 0, "PANTAU_BROKER_CLEANUP_INTERVAL"),
        ("http_timeout", 0, "PANTAU_HTTP_TIMEOUT"),
    ],
)
def test_settings__an_interval_or_timeout_of_zero_is_refused(field, value, named):
    # Beat would send a task as fast as it loops; requests refuses a timeout of 0.
    with pytest.raises(SettingsError) as err:
        load_settings(**{**TEST_KEYS, field: value})
    assert named in str(err.value)


def test_settings__pseudonym_key_must_differ_from_the_app_secret():
    with pytest.raises(SettingsError, match="differ"):
        load_settings(env="production", secret_key=STRONG, pseudonym_key=STRONG)


def test_settings__explicit_development_allows_the_public_key_and_warns_once(caplog):
    import config.settings as module

    module._warned.clear()
    with caplog.at_level(logging.WARNING, logger="pantau.settings"):
        first = load_settings(env="development")
        load_settings(env="development")
    assert first.pseudonym_secret == b"dev-only-not-secret"
    warnings = [r for r in caplog.records if "weak or public pseudonym key" in r.getMessage()]
    assert len(warnings) == 1


def test_settings__previous_keys_come_before_the_current_one():
    s = load_settings(**{**TEST_KEYS, "pseudonym_previous_keys": "old-1, old-2"})
    assert s.pseudonym_keys == (b"old-1", b"old-2", TEST_KEYS["pseudonym_key"].encode())


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


@pytest.mark.parametrize(
    ("extra", "named"),
    [
        ({"PANTAU_ENV": "staging"}, "PANTAU_ENV"),
        ({"PANTAU_ENV": "production", "PANTAU_PSEUDONYM_KEY": "dev-only-not-secret"}, "published"),
        ({"PANTAU_PSEUDONYM_KEY": "short"}, "at least 32"),
    ],
)
def test_cli__unknown_env_or_weak_key_stops_every_command_with_exit_2(tmp_path, extra, named):
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PANTAU_VAR_DIR": str(tmp_path / "var"),
        "PANTAU_SECRET_KEY": TEST_KEYS["secret_key"],
        **extra,
    }
    proc = subprocess.run(
        [PANTAU, "db", "upgrade"], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 2
    assert named in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "var").exists()  # nothing was created with the bad settings


def test_cli__explicit_development_runs_on_the_public_key_and_says_so_once(tmp_path):
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "PANTAU_VAR_DIR": str(tmp_path / "var"),
        "PANTAU_ENV": "development",
    }
    proc = subprocess.run(
        [PANTAU, "db", "upgrade"], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("weak or public pseudonym key") == 1


def test_settings__log_level_is_checked_and_normalised():
    assert load_settings(**TEST_KEYS, log_level="debug").log_level == "DEBUG"
    with pytest.raises(SettingsError, match="PANTAU_LOG_LEVEL"):
        load_settings(**TEST_KEYS, log_level="LOUD")


def test_settings__gunicorn_values_go_through_settings():
    s = load_settings(**TEST_KEYS, bind="0.0.0.0:8000", web_workers=3, web_threads=8)
    assert (s.bind, s.web_workers, s.web_threads) == ("0.0.0.0:8000", 3, 8)
    with pytest.raises(SettingsError, match="PANTAU_BIND"):
        load_settings(**TEST_KEYS, bind="nowhere")
    with pytest.raises(SettingsError, match="PANTAU_WEB_WORKERS"):
        load_settings(**TEST_KEYS, web_workers=0)


def test_settings__relative_paths_resolve_against_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = load_settings(**TEST_KEYS, build_dir="out/forms")
    assert s.var_dir == tmp_path / "var"
    assert s.forms_dir == tmp_path / "xlsforms"
    assert s.build_dir == tmp_path / "out" / "forms"
    assert s.database_url == f"sqlite:///{tmp_path / 'var' / 'pantau.db'}"
    assert s.rules_dir.name == "rules" and s.rules_dir.is_absolute()  # shipped with Pantau
