"""`pantau forms publish` and `pantau forms versions` through Click's runner."""

from __future__ import annotations

import json

from click.testing import CliRunner
from sqlalchemy import select

from cli.main import main
from core.store.db import session_scope
from core.store.models import FormVersion, Submission
from tests.conftest import pantau_env
from tests.integration.publish.conftest import asset_doc, rename_contract_field


def env_for(settings, **extra):
    env = pantau_env(
        settings,
        PANTAU_PUBLIC_URL=settings.public_url,
        PANTAU_FORMS_DIR=str(settings.forms_dir),
        PANTAU_BUILD_DIR=str(settings.build_dir),
        PANTAU_LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def invoke(args, env):
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


def test_cli_publish__reports_each_step_and_versions_shows_the_publication(
    kobo_sandbox, kobo_settings
):
    env = env_for(kobo_settings)
    first = invoke(["forms", "publish", "pertemuan_imp", "--to", "kobo", "--as", "ani"], env)
    assert first.exit_code == 0, first.output
    lines = first.stdout.splitlines()
    for step in ("build", "contract", "locate", "import", "media", "deploy", "hook", "record"):
        assert any(line.startswith(step) for line in lines), step
    assert "published on kobo" in lines[-1]

    again = invoke(["forms", "publish", "pertemuan_imp", "--to", "kobo", "--as", "ani"], env)
    assert again.exit_code == 0, again.output
    assert "unchanged on kobo" in again.stdout.splitlines()[-1]

    listing = invoke(["forms", "versions", "pertemuan_imp", "--json"], env)
    assert listing.exit_code == 0, listing.output
    data = json.loads(listing.stdout)
    (pub,) = data["publications"]
    assert pub["server"] == "kobo" and pub["published_by"] == "ani"
    assert pub["forced_reason"] is None
    doc = asset_doc(kobo_sandbox, pub["server_form_id"])
    assert pub["server_version_id"] == doc["deployed_version_id"]
    assert doc["deployed_versions"]["count"] == 1

    text = invoke(["forms", "versions", "pertemuan_imp"], env)
    assert text.exit_code == 0, text.output
    row = next(line for line in text.stdout.splitlines() if pub["server_version_id"] in line)
    assert "kobo" in row and "ani" in row and pub["version"] in row


def test_cli_publish__a_failed_step_exits_non_zero_naming_it(kobo_sandbox, kobo_settings):
    env = env_for(kobo_settings)
    # The first API call of the publish (listing assets to find ours) answers 500.
    kobo_sandbox.faults(spec="api:500:count=1")
    result = invoke(["forms", "publish", "profil_imp", "--to", "kobo"], env)
    assert result.exit_code == 1
    assert result.stderr.startswith("locate: ")
    assert "500" in result.stderr
    rerun = invoke(["forms", "publish", "profil_imp", "--to", "kobo"], env)
    assert rerun.exit_code == 0, rerun.output


def test_cli_publish__missing_kobo_settings_give_one_clear_line(kobo_settings):
    env = env_for(kobo_settings, PANTAU_KOBO_URL="", PANTAU_KOBO_TOKEN="")
    result = invoke(["forms", "publish", "pertemuan_imp", "--to", "kobo"], env)
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "pantau: cannot publish to kobo: PANTAU_KOBO_URL is not set; PANTAU_KOBO_TOKEN is not set"
    ]


def test_cli_publish__force_needs_a_reason_and_is_recorded(
    kobo_settings, session_factory, forms_dir
):
    env = env_for(kobo_settings)
    assert invoke(["forms", "publish", "pertemuan_imp", "--to", "kobo"], env).exit_code == 0
    with session_scope(session_factory) as s:
        fv = s.scalars(select(FormVersion)).one()
        s.add(
            Submission(
                instance_id="uuid:cli-1",
                source="webhook",
                form_id="pertemuan_imp",
                form_version_id=fv.id,
                raw={},
            )
        )
    rename_contract_field(forms_dir, "pertemuan_imp", "hadir_laki", "hadir_pria")

    refused = invoke(["forms", "publish", "pertemuan_imp", "--to", "kobo"], env)
    assert refused.exit_code == 1
    assert refused.stderr.startswith("contract: pertemuan_imp would break stored submissions")
    assert "hadir_laki: renamed to 'hadir_pria'" in refused.stderr

    empty = invoke(["forms", "publish", "pertemuan_imp", "--to", "kobo", "--force", " "], env)
    assert empty.exit_code == 2
    assert "--force needs a reason" in empty.stderr

    args = ["forms", "publish", "pertemuan_imp", "--to", "kobo", "--force", "mapped in facts"]
    forced = invoke(args, env)
    assert forced.exit_code == 0, forced.output
    assert "(forced: mapped in facts)" in forced.stdout
    text = invoke(["forms", "versions", "pertemuan_imp"], env).stdout
    assert any(line.endswith("mapped in facts") for line in text.splitlines())
