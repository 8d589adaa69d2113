"""Fixtures for alert tests: a real SMTP server, recipients, a published family form."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from cli.main import main
from tests.conftest import make_settings, pantau_env
from tests.support.kobo_sandbox import kobo_sandbox  # noqa: F401  (fixture)
from tests.support.mail import SmtpSink
from tests.support.registry import DESA_2
from tests.support.submissions import DESA

KECAMATAN = DESA.rsplit(".", 1)[0]
RECIPIENTS = (
    "name,wilayah,channel,address,language,role\n"
    f"TPPS Melong,{DESA},email,tpps.melong@example.go.id,id,tpps\n"
    f"TPPS Cibeureum,{DESA_2},email,tpps.cibeureum@example.go.id,id,tpps\n"
    f"TPPS Cimahi Selatan,{KECAMATAN},email,tpps.cisel@example.go.id,id,tpps\n"
    f"PKB Cimahi Selatan,{KECAMATAN},email,pkb.cisel@example.go.id,en,pkb\n"
)


@pytest.fixture
def smtp_sink():
    sink = SmtpSink().start()
    yield sink
    sink.stop()


@pytest.fixture
def alert_settings(settings, smtp_sink, kobo_sandbox, tmp_path):  # noqa: F811
    """Settings on the test database, mailing to the sink, Kobo at the sandbox."""
    return make_settings(
        tmp_path,
        database_url=settings.database_url,
        smtp_url=smtp_sink.url,
        kobo_url=kobo_sandbox.base_url,
        kobo_token=kobo_sandbox.token,
        public_url="https://pantau.example.go.id",
        alert_retry_base=0.01,
    )


def cli(settings, *args: str, ok: bool = True):
    """Run `pantau …` in-process with settings' environment."""
    result = CliRunner().invoke(main, list(args), env=pantau_env(settings))
    if ok:
        assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def recipients(alert_settings, tmp_path):
    path = tmp_path / "recipients.csv"
    path.write_text(RECIPIENTS, encoding="utf-8")
    cli(alert_settings, "recipients", "import", str(path))
    return path
