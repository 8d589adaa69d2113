"""Publishing to the Kobo sandbox: one version per build, media, hook, contract, re-runs."""

from __future__ import annotations

import base64
import json

import pytest
from sqlalchemy import func, select

from core.store.db import make_engine, make_session_factory, session_scope
from core.store.migrate import upgrade
from core.store.models import AuditLog, FormVersion, Institution, Publication, Submission
from core.usecases.publish import (
    HOOK_NAME,
    ContractBreak,
    contract_changes,
    publish_to_kobo,
)
from tests.conftest import make_settings
from tests.integration.publish.conftest import (
    FORM_IDS,
    add_question,
    asset_doc,
    rename_contract_field,
    run,
    run_failing,
)
from tests.support.kobo_sandbox import HookReceiver
from tests.support.registry import DESA, seed_registry


def publish(factory, kobo, form_id, settings, **kw):
    kw.setdefault("poll_interval", 0.02)
    return run(factory, publish_to_kobo, kobo, form_id, settings, **kw)


def publications(factory, form_id):
    with session_scope(factory) as s:
        return s.scalars(
            select(Publication)
            .join(FormVersion, Publication.form_version_id == FormVersion.id)
            .where(FormVersion.form_id == form_id)
            .order_by(Publication.id)
        ).all()


def store_submission(factory, result, n=1):
    """Rows as intake would store them for submissions made against the published version."""
    with session_scope(factory) as s:
        fv = s.scalars(
            select(FormVersion).where(
                FormVersion.form_id == result.form_id, FormVersion.version == result.version
            )
        ).one()
        for i in range(n):
            s.add(
                Submission(
                    instance_id=f"uuid:{result.form_id}-{result.version}-{i}",
                    server="kobo",
                    source="webhook",
                    asset_uid=result.server_form_id,
                    form_id=result.form_id,
                    form_version_id=fv.id,
                    server_version=result.server_version_id,
                    version_known=True,
                    raw={"_id": i + 1},
                )
            )


@pytest.mark.parametrize("form_id", FORM_IDS)
def test_publish__each_form_twice_makes_exactly_one_kobo_version(
    form_id, kobo_sandbox, kobo, kobo_settings, session_factory
):
    steps: list[str] = []
    first = publish(
        session_factory, kobo, form_id, kobo_settings, progress=lambda s, d: steps.append(s)
    )
    second = publish(session_factory, kobo, form_id, kobo_settings)

    assert first.state == "published" and second.state == "unchanged"
    assert second.server_form_id == first.server_form_id
    assert second.server_version_id == first.server_version_id
    assert second.publication_id == first.publication_id
    for step in ("build", "contract", "locate", "import", "media", "deploy", "hook", "record"):
        assert step in steps
    doc = asset_doc(kobo_sandbox, first.server_form_id)
    assert doc["asset_type"] == "survey"
    assert doc["deployed_versions"]["count"] == 1
    assert doc["version_count"] == 1  # the second publish imported nothing
    assert doc["deployed_version_id"] == first.server_version_id
    assert doc["deployment__active"] is True
    assert doc["content"]["settings"]["version"] == first.version
    (pub,) = publications(session_factory, form_id)
    assert (pub.server, pub.server_form_id, pub.server_version_id) == (
        "kobo",
        first.server_form_id,
        first.server_version_id,
    )
    assert pub.server_url == kobo_sandbox.base_url
    assert pub.published_by == "tester" and pub.forced_reason is None
    assert pub.response["deployed_version_id"] == first.server_version_id
    with session_scope(session_factory) as s:
        assert s.get(FormVersion, pub.form_version_id).xform_sha256 == first.xform_sha256


def test_publish__changed_form_makes_a_second_version_that_submissions_map_to(
    kobo_sandbox, kobo, kobo_settings, session_factory, forms_dir
):
    first = publish(session_factory, kobo, "pertemuan_imp", kobo_settings)
    add_question(forms_dir / "pertemuan_imp.xlsx", "catatan_tambahan")
    second = publish(session_factory, kobo, "pertemuan_imp", kobo_settings)

    assert second.state == "published"
    assert second.version != first.version
    assert second.xform_sha256 != first.xform_sha256
    assert second.server_form_id == first.server_form_id
    assert second.server_version_id != first.server_version_id
    doc = asset_doc(kobo_sandbox, first.server_form_id)
    assert doc["deployed_versions"]["count"] == 2
    assert doc["deployed_version_id"] == second.server_version_id
    assert doc["deployed_versions"]["results"][0]["uid"] == second.server_version_id
    pubs = publications(session_factory, "pertemuan_imp")
    assert [p.server_version_id for p in pubs] == [
        first.server_version_id,
        second.server_version_id,
    ]

    # A kader's submission against the deployed form carries Kobo's version uid.
    sub_id, _ = kobo_sandbox.submit_answers(
        second.server_form_id,
        {"pertemuan/hadir_laki": "3", "pertemuan/hadir_perempuan": "5", "catatan_tambahan": "ok"},
    )
    record = kobo_sandbox.api("GET", f"/api/v2/assets/{second.server_form_id}/data/{sub_id}/")
    version_uid = record.json()["__version__"]
    assert version_uid == second.server_version_id
    with session_scope(session_factory) as s:
        fv = s.scalars(
            select(FormVersion)
            .join(Publication, Publication.form_version_id == FormVersion.id)
            .where(
                Publication.server == "kobo",
                Publication.server_form_id == second.server_form_id,
                Publication.server_version_id == version_uid,
            )
        ).one()
        assert (fv.form_id, fv.version) == ("pertemuan_imp", second.version)


def test_publish__contract_break_is_refused_naming_the_field_and_force_records_why(
    kobo_sandbox, kobo, kobo_settings, session_factory, forms_dir
):
    first = publish(session_factory, kobo, "pertemuan_imp", kobo_settings)
    store_submission(session_factory, first)
    rename_contract_field(forms_dir, "pertemuan_imp", "hadir_laki", "hadir_pria")

    err = run_failing(
        session_factory, publish_to_kobo, kobo, "pertemuan_imp", kobo_settings, poll_interval=0.02
    )
    assert isinstance(err, ContractBreak)
    assert err.step == "contract"
    assert [c.format() for c in err.changes] == ["hadir_laki: renamed to 'hadir_pria'"]
    assert "hadir_laki" in str(err) and first.version in str(err)
    # Nothing reached the server and nothing was recorded as published.
    assert asset_doc(kobo_sandbox, first.server_form_id)["version_count"] == 1
    assert len(publications(session_factory, "pertemuan_imp")) == 1

    forced = publish(
        session_factory,
        kobo,
        "pertemuan_imp",
        kobo_settings,
        force_reason="field renamed by the district; facts remapped",
        actor="admin-kab",
    )
    assert forced.state == "published"
    assert forced.forced_reason == "field renamed by the district; facts remapped"
    pubs = publications(session_factory, "pertemuan_imp")
    assert len(pubs) == 2
    assert pubs[-1].forced_reason == "field renamed by the district; facts remapped"
    assert pubs[-1].published_by == "admin-kab"
    assert asset_doc(kobo_sandbox, first.server_form_id)["deployed_versions"]["count"] == 2
    with session_scope(session_factory) as s:
        audit = {
            a.action: a
            for a in s.scalars(select(AuditLog).where(AuditLog.target == "kobo:pertemuan_imp"))
        }
    assert audit["form.publish_refused"].detail["changes"] == [
        "hadir_laki: renamed to 'hadir_pria'"
    ]
    assert audit["form.publish"].actor == "admin-kab"
    assert audit["form.publish"].detail["forced_reason"].startswith("field renamed")


def test_publish__contract_change_without_stored_submissions_is_allowed(
    kobo, kobo_settings, session_factory, forms_dir
):
    publish(session_factory, kobo, "pertemuan_imp", kobo_settings)
    rename_contract_field(forms_dir, "pertemuan_imp", "hadir_laki", "hadir_pria")
    result = publish(session_factory, kobo, "pertemuan_imp", kobo_settings)
    assert result.state == "published" and result.forced_reason is None


def test_contract_changes__name_removed_renamed_retyped_list_choices_repeat():
    old = {
        "fields": {
            "a": {"type": "integer"},
            "b": {"type": "select_one", "list": "yn", "choices": ["ya", "tidak"]},
            "c": {"type": "text"},
            "d": {"type": "decimal", "repeat": "anak"},
            "e": {"type": "select_one", "list": "jk", "choices": ["l", "p"]},
            "f": {"type": "date"},
        }
    }
    new = {
        "fields": {
            "a": {"type": "decimal"},
            "b": {"type": "select_one", "list": "yn", "choices": ["ya"]},
            "d": {"type": "decimal"},
            "e": {"type": "select_one", "list": "kelamin", "choices": ["l", "p"]},
            "f2": {"type": "date"},
            "z": {"type": "integer", "required": True},
        }
    }
    assert [c.format() for c in contract_changes(old, new)] == [
        "a: type changed from integer to decimal",
        "b: choices removed: tidak",
        "c: removed",
        "d: repeat changed from anak to (none)",
        "e: choice list changed from jk to kelamin",
        "f: renamed to 'f2'",
    ]
    # Added fields and added choices break nothing stored.
    assert contract_changes(new, {"fields": {**new["fields"], "y": {"type": "text"}}}) == []


def test_publish__csv_media_uploaded_and_replaced_without_a_new_version(
    kobo_sandbox, kobo, kobo_settings, session_factory
):
    with session_scope(session_factory) as s:
        seed_registry(s)
    first = publish(session_factory, kobo, "kie_konseling", kobo_settings)
    assert sorted(first.media_uploaded) == ["imp.csv", "wilayah.csv"]

    def server_files():
        listing = kobo_sandbox.api("GET", f"/api/v2/assets/{first.server_form_id}/files/").json()
        out = {}
        for f in listing["results"]:
            assert f["file_type"] == "form_media"
            content = kobo_sandbox.api("GET", f["content"].removeprefix(kobo_sandbox.base_url))
            out[f["metadata"]["filename"]] = content.content
        return out, listing["count"]

    files, count = server_files()
    assert count == 2
    build_dir = kobo_settings.build_dir
    assert files["wilayah.csv"] == (build_dir / "wilayah.csv").read_bytes()
    assert files["imp.csv"] == (build_dir / "imp.csv").read_bytes()
    assert b"Melong" in files["wilayah.csv"]

    # A new IMP changes imp.csv only: replaced in place, redeployed, no new form version.
    with session_scope(session_factory) as s:
        s.add(Institution(code="KKB-BARU", name="Melati", kind="kelompok_kb", desa_code=DESA))
    again = publish(session_factory, kobo, "kie_konseling", kobo_settings)
    assert again.state == "unchanged"
    assert again.media_uploaded == ("imp.csv",)
    files, count = server_files()
    assert count == 2
    assert b"KKB-BARU" in files["imp.csv"]
    assert asset_doc(kobo_sandbox, first.server_form_id)["deployed_versions"]["count"] == 1


def test_publish__hook_registered_with_basic_auth_and_token_header_and_delivers(
    kobo_sandbox, kobo, kobo_settings, session_factory, tmp_path
):
    receiver = HookReceiver()
    try:
        base = receiver.url.removesuffix("/hook")
        settings = make_settings(
            tmp_path,
            **{**kobo_settings.model_dump(), "public_url": base},
        )
        result = publish(session_factory, kobo, "pertemuan_imp", settings)
        assert result.hook == "created"
        hooks = kobo_sandbox.api("GET", f"/api/v2/assets/{result.server_form_id}/hooks/").json()
        assert hooks["count"] == 1
        hook = hooks["results"][0]
        assert hook["name"] == HOOK_NAME
        assert hook["endpoint"] == f"{base}/webhooks/kobo"
        assert hook["export_type"] == "json"
        assert hook["auth_level"] == "basic_auth"
        assert hook["active"] is True
        assert hook["subset_fields"] == []
        assert hook["settings"]["username"] == "kobo"
        assert hook["settings"]["password"] == "hook-pass"
        assert hook["settings"]["custom_headers"] == {"X-Pantau-Token": "hook-token"}

        # A submission reaches our endpoint with both credentials.
        kobo_sandbox.submit_answers(result.server_form_id, {"pertemuan/hadir_laki": "1"})
        kobo_sandbox.wait_hooks_idle()
        (req,) = receiver.requests
        assert req["path"] == "/webhooks/kobo"
        assert req["headers"]["X-Pantau-Token"] == "hook-token"
        expected = "Basic " + base64.b64encode(b"kobo:hook-pass").decode()
        assert req["headers"]["Authorization"] == expected
        body = json.loads(req["body"])
        assert body["__version__"] == result.server_version_id
        assert "_id" in body and "_uuid" in body and "meta/instanceID" in body

        # New credentials update the same hook; still one hook, no new form version.
        rotated = make_settings(
            tmp_path,
            **{**settings.model_dump(), "webhook_password": "rotated-pass"},
        )
        again = publish(session_factory, kobo, "pertemuan_imp", rotated)
        assert (again.state, again.hook) == ("unchanged", "updated")
        hooks = kobo_sandbox.api("GET", f"/api/v2/assets/{result.server_form_id}/hooks/").json()
        assert hooks["count"] == 1
        assert hooks["results"][0]["settings"]["password"] == "rotated-pass"
    finally:
        receiver.close()


def _inject_on(kobo_sandbox, step, detail_start):
    """A progress callback that makes the sandbox answer 500 to the step's next API call."""
    fired = []

    def progress(s, detail):
        if s == step and detail.startswith(detail_start) and not fired:
            fired.append(detail)
            kobo_sandbox.faults(spec="api:500:count=1")

    return progress, fired


@pytest.mark.parametrize(
    ("step", "detail_start", "imports"),
    [
        ("import", "uploading", 1),  # the import POST fails: nothing on the server yet
        ("import", "polling", 1),  # the import ran but polling failed: re-run re-uses it
        ("media", "2 file(s)", 1),
        ("deploy", "asset", 1),
        ("hook", "REST Service", 1),
    ],
)
def test_publish__failed_step_is_named_and_a_rerun_completes_without_extra_versions(
    step, detail_start, imports, kobo_sandbox, kobo, kobo_settings, session_factory
):
    progress, fired = _inject_on(kobo_sandbox, step, detail_start)
    err = run_failing(
        session_factory,
        publish_to_kobo,
        kobo,
        "pertemuan_imp",
        kobo_settings,
        progress=progress,
        poll_interval=0.02,
    )
    assert fired
    assert err.step == step
    assert "500" in err.reason
    assert publications(session_factory, "pertemuan_imp") == []

    result = publish(session_factory, kobo, "pertemuan_imp", kobo_settings)
    assert result.state == "published"
    doc = asset_doc(kobo_sandbox, result.server_form_id)
    assert doc["deployed_versions"]["count"] == 1
    assert doc["version_count"] == imports
    assert doc["deployed_version_id"] == result.server_version_id
    hooks = kobo_sandbox.api("GET", f"/api/v2/assets/{result.server_form_id}/hooks/").json()
    assert hooks["count"] == 1
    files = kobo_sandbox.api("GET", f"/api/v2/assets/{result.server_form_id}/files/").json()
    assert sorted(f["metadata"]["filename"] for f in files["results"]) == ["imp.csv", "wilayah.csv"]
    assert len(publications(session_factory, "pertemuan_imp")) == 1
    with session_scope(session_factory) as s:
        failed = s.scalars(select(AuditLog).where(AuditLog.action == "form.publish_failed")).one()
        assert failed.detail["step"] == step
        # The failed run's build was kept: the re-run published that same version.
        assert s.scalar(select(func.count()).select_from(FormVersion)) == 1
    assert result.version == doc["content"]["settings"]["version"]


def test_publish__rebuilt_database_publishes_to_the_same_asset_found_by_its_form_id(
    kobo_sandbox, kobo, kobo_settings, session_factory, tmp_path
):
    first = publish(session_factory, kobo, "profil_imp", kobo_settings)
    # As on a real kpi, the asset bears the form_title in the default language, not our
    # contract title: a search by name would miss it and make a second asset.
    assert asset_doc(kobo_sandbox, first.server_form_id)["name"] == "Profil IMP (triwulan)"
    # Another Pantau database (e.g. a fresh install) publishing the same form to the same server.
    other = make_settings(
        tmp_path / "other",
        **{**kobo_settings.model_dump(), "var_dir": tmp_path / "other", "database_url": ""},
    )
    assert other.database_url != kobo_settings.database_url
    engine = make_engine(other)
    upgrade(engine)
    try:
        result = publish(make_session_factory(engine), kobo, "profil_imp", other)
    finally:
        engine.dispose()
    assert result.server_form_id == first.server_form_id
    # Same content under the same version stamp: no re-import, no new server version.
    doc = asset_doc(kobo_sandbox, first.server_form_id)
    assert doc["version_count"] == 1
    assert doc["deployed_versions"]["count"] == 1
    assert result.server_version_id == first.server_version_id
    assert kobo_sandbox.api("GET", "/api/v2/assets/").json()["count"] == 1
