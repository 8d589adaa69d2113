"""Assets, imports, deployments, media, hooks and submissions through the typed services."""

from __future__ import annotations

import pytest

from core.clients.kobo import (
    HookSettings,
    HookSpec,
    KoboClient,
    KoboImportError,
    KoboNotFound,
    KoboPermanentError,
)
from tests.support.kobo_sandbox import HookReceiver, SandboxServer, sample_xlsform


def test_import__is_a_survey_not_a_library_block(client: KoboClient) -> None:
    uid = client.imports.import_form(sample_xlsform(), name="Survey", interval=0.02)

    asset = client.assets.get(uid)

    # kpi names the asset after the XLSForm's form_title, not the `name` sent with the import.
    assert (asset.asset_type, asset.name) == ("survey", "Sandbox test")
    assert (asset.form_id, asset.form_version) == ("sandbox_test", "2026010101")
    assert not asset.is_deployed
    assert asset.deployed_versions == ()


def test_find_by_form_id__finds_surveys_by_the_form_id_kpi_keeps_best_first(
    client: KoboClient, kobo_sandbox: SandboxServer
) -> None:
    draft = client.imports.import_form(sample_xlsform(), interval=0.02)
    renamed = client.imports.import_form(sample_xlsform(title="Another title"), interval=0.02)
    kobo_sandbox.deploy(renamed)
    client.imports.import_form(sample_xlsform(form_id="other_form"), interval=0.02)

    found = client.assets.find_by_form_id("sandbox_test")

    # The deployed one first, whatever its name; the other form's survey is not among them.
    assert [a.uid for a in found] == [renamed, draft]
    assert found[0].name == "Another title" and found[0].form_id == "sandbox_test"
    assert client.assets.find_by_form_id("no_such_form") == []


def test_import__a_broken_file_names_kobo_s_message(client: KoboClient) -> None:
    with pytest.raises(KoboImportError) as caught:
        client.imports.import_form(b"not a spreadsheet", interval=0.02)

    assert "failed" in str(caught.value)


def test_deploy__then_reimport_and_redeploy_the_current_version(client: KoboClient) -> None:
    uid = client.imports.import_form(sample_xlsform("1"), interval=0.02)
    first = client.deployments.deploy(uid)

    client.imports.import_form(sample_xlsform("2", extra_question="catatan"), destination=uid)
    pending = client.assets.get(uid)
    second = client.deployments.ensure_deployed(pending)
    asset = client.assets.get(uid)

    assert first.version_id is not None
    assert pending.needs_redeploy
    assert second is not None and second.version_id == pending.version_id
    assert asset.deployed_version_id == asset.version_id == pending.version_id
    assert [v.uid for v in asset.deployed_versions] == [second.version_id, first.version_id]
    assert client.deployments.ensure_deployed(asset) is None


def test_deploy__twice_with_post_is_refused(client: KoboClient, asset_uid: str) -> None:
    with pytest.raises(KoboPermanentError) as caught:
        client.deployments.deploy(asset_uid)

    assert caught.value.status_code == 405


def test_files__media_upload_is_listed(client: KoboClient, asset_uid: str) -> None:
    uploaded = client.files.upload_media(asset_uid, "desa.csv", b"name,label\n3277011001,Cibeber\n")

    [listed] = client.files.list(asset_uid)

    assert listed == uploaded
    assert (listed.filename, listed.file_type) == ("desa.csv", "form_media")
    assert listed.hash and listed.hash.startswith("md5:")


def test_hooks__ensure_creates_then_leaves_then_updates(client: KoboClient, asset_uid: str) -> None:
    spec = HookSpec(
        "pantau",
        "https://pantau.example/webhooks/kobo",
        HookSettings("kobo", "hook-only-secret", {"X-Pantau-Token": "t0ken"}),
    )

    created, how1 = client.hooks.ensure(asset_uid, spec)
    same, how2 = client.hooks.ensure(asset_uid, spec)
    moved = HookSpec("pantau", "https://pantau.example/v2/webhooks/kobo", spec.settings)
    updated, how3 = client.hooks.ensure(asset_uid, moved)

    assert (how1, how2, how3) == ("created", "unchanged", "updated")
    assert created.uid == same.uid == updated.uid
    assert updated.endpoint == moved.endpoint
    assert (updated.export_type, updated.auth_level) == ("json", "basic_auth")
    assert updated.settings.custom_headers == {"X-Pantau-Token": "t0ken"}
    assert "hook-only-secret" not in repr(updated)
    assert client.hooks.logs(asset_uid, updated.uid) == []


def test_hooks__retry_resends_the_failed_and_is_empty_when_none_failed(
    client: KoboClient, kobo_sandbox: SandboxServer, asset_uid: str
) -> None:
    receiver = HookReceiver(statuses=[500], default=202)
    try:
        hook, _ = client.hooks.ensure(asset_uid, HookSpec("pantau", receiver.url, HookSettings()))
        # A real kpi says "nothing to retry" with an empty 304 (seen on 2e5efb0172).
        assert client.hooks.retry(asset_uid, hook.uid) == []
        kobo_sandbox.submit_answers(asset_uid, {"ibu/nama": "A"})
        kobo_sandbox.wait_hooks_idle()
        [failed] = client.hooks.logs(asset_uid, hook.uid)
        assert client.hooks.retry(asset_uid, hook.uid) == [failed.uid]
        kobo_sandbox.wait_hooks_idle()
        [sent] = client.hooks.logs(asset_uid, hook.uid)
        assert (sent.status_code, sent.tries) == (202, 2)  # kpi counts on, it does not reset
        assert len(receiver.requests) == 2
    finally:
        receiver.close()


def test_submissions__submit_read_edit_delete(
    client: KoboClient, kobo_sandbox: SandboxServer, asset_uid: str
) -> None:
    xml, instance_id = kobo_sandbox.instance(asset_uid, {"ibu/nama": "Siti"})
    assert client.submit_xml(xml).created
    [entry] = list(client.data.manifest(asset_uid))

    edit, _ = kobo_sandbox.instance(
        asset_uid, {"ibu/nama": "Siti Aminah"}, deprecated_id=instance_id
    )
    assert client.submit_xml(edit).created
    record = client.data.get_submission(asset_uid, entry.id)
    [after_edit] = list(client.data.manifest(asset_uid))
    client.data.delete_submission(asset_uid, entry.id)

    assert record["ibu/nama"] == "Siti Aminah"
    assert after_edit.id == entry.id and after_edit.uuid != entry.uuid
    with pytest.raises(KoboNotFound):
        client.data.get_submission(asset_uid, entry.id)
    assert list(client.data.manifest(asset_uid)) == []
