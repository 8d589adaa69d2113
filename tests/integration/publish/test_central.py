"""Publishing to the ODK Central stub: new form, new version by draft, 409.6, attachments."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.store.db import session_scope
from core.store.models import FormVersion, Publication, Submission
from core.usecases.publish import ContractBreak, missing_settings, publish_to_central, xform_id
from tests.conftest import make_settings
from tests.integration.publish.conftest import (
    add_question,
    rename_contract_field,
    run,
    run_failing,
    set_cell,
)
from tests.support.registry import seed_registry


def publish(factory, central, form_id, settings, **kw):
    return run(factory, publish_to_central, central, form_id, settings, **kw)


def stub_form(central_stub, form_id):
    return central_stub.state.forms[(1, form_id)]


def pubs(factory, form_id):
    with session_scope(factory) as s:
        return s.scalars(
            select(Publication)
            .join(FormVersion, Publication.form_version_id == FormVersion.id)
            .where(FormVersion.form_id == form_id)
            .order_by(Publication.id)
        ).all()


def test_publish_central__new_form_with_attachments_then_unchanged(
    central_stub, central, central_settings, session_factory
):
    with session_scope(session_factory) as s:
        seed_registry(s)
    steps: list[tuple[str, str]] = []
    first = publish(
        session_factory,
        central,
        "pertemuan_imp",
        central_settings,
        progress=lambda s, d: steps.append((s, d)),
    )
    assert first.state == "published"
    assert first.server_form_id == "pertemuan_imp"
    assert first.server_version_id == first.version
    assert [s for s, _ in steps if s == "attachments"] == ["attachments", "attachments"]
    form = stub_form(central_stub, "pertemuan_imp")
    assert [d.version for d in form.published] == [first.version]
    assert form.draft is None
    # The CSVs were uploaded to the draft and published with it.
    build_dir = central_settings.build_dir
    assert form.current.attachments["wilayah.csv"][1] == (build_dir / "wilayah.csv").read_bytes()
    assert form.current.attachments["imp.csv"][1] == (build_dir / "imp.csv").read_bytes()
    assert all(a.exists for a in central.forms.attachments("pertemuan_imp"))

    again = publish(session_factory, central, "pertemuan_imp", central_settings)
    assert again.state == "unchanged"
    assert again.publication_id == first.publication_id
    assert len(stub_form(central_stub, "pertemuan_imp").published) == 1
    (pub,) = pubs(session_factory, "pertemuan_imp")
    assert pub.server == "central"
    assert pub.server_url == f"{central_stub.url}/v1/projects/1"
    assert pub.server_version_id == first.version
    assert pub.response["hash"] == form.current.hash


def test_publish_central__changed_form_goes_through_a_draft_with_our_version(
    central_stub, central, central_settings, session_factory, forms_dir
):
    first = publish(session_factory, central, "kie_konseling", central_settings)
    add_question(forms_dir / "kie_konseling.xlsx", "catatan_tambahan")
    second = publish(session_factory, central, "kie_konseling", central_settings)
    assert second.state == "published"
    assert second.version != first.version
    form = stub_form(central_stub, "kie_konseling")
    assert [d.version for d in form.published] == [first.version, second.version]
    assert b"catatan_tambahan" in form.current.xml
    # Central carried the CSVs over to the new version (same names expected).
    assert set(form.current.attachments) == {"wilayah.csv", "imp.csv"}
    assert [p.server_version_id for p in pubs(session_factory, "kie_konseling")] == [
        first.version,
        second.version,
    ]


def test_publish_central__version_string_reused_on_the_server_is_handled(
    central_stub, central, central_settings, session_factory
):
    first = publish(session_factory, central, "profil_imp", central_settings)
    # Someone publishes another version by hand in Central; our build is unchanged.
    central.forms.create_draft("profil_imp")
    central.forms.publish_draft("profil_imp", "manual-1")

    steps: list[tuple[str, str]] = []
    again = publish(
        session_factory,
        central,
        "profil_imp",
        central_settings,
        progress=lambda s, d: steps.append((s, d)),
    )
    assert again.state == "published"
    assert again.server_version_id == f"{first.version}-2"
    assert any("409.6" in d for s, d in steps if s == "publish")
    form = stub_form(central_stub, "profil_imp")
    assert [d.version for d in form.published] == [first.version, "manual-1", f"{first.version}-2"]
    assert [p.server_version_id for p in pubs(session_factory, "profil_imp")] == [
        first.version,
        f"{first.version}-2",
    ]


def test_publish_central__published_but_unrecorded_run_is_recorded_without_a_new_version(
    central_stub, central, central_settings, session_factory
):
    first = publish(session_factory, central, "laporan_bulanan_imp", central_settings)
    with session_scope(session_factory) as s:
        s.query(Publication).delete()
    again = publish(session_factory, central, "laporan_bulanan_imp", central_settings)
    assert again.state == "published"
    assert again.server_version_id == first.version
    assert len(stub_form(central_stub, "laporan_bulanan_imp").published) == 1
    assert len(pubs(session_factory, "laporan_bulanan_imp")) == 1


def test_publish_central__contract_break_refused_then_forced(
    central_stub, central, central_settings, session_factory, forms_dir
):
    first = publish(session_factory, central, "pertemuan_imp", central_settings)
    with session_scope(session_factory) as s:
        fv = s.scalars(select(FormVersion).where(FormVersion.version == first.version)).one()
        s.add(
            Submission(
                instance_id="uuid:c-1",
                server="central",
                source="pull",
                asset_uid="pertemuan_imp",
                form_id="pertemuan_imp",
                form_version_id=fv.id,
                raw={},
            )
        )
    rename_contract_field(forms_dir, "pertemuan_imp", "hadir_perempuan", "hadir_wanita")
    # The renamed question is referenced by another row's constraint: follow the rename.
    set_cell(
        forms_dir / "pertemuan_imp.xlsx",
        "survey",
        "hadir_laki",
        "constraint",
        ". >= 0 and . <= 500 and (. + ${hadir_wanita}) > 0",
    )
    err = run_failing(
        session_factory, publish_to_central, central, "pertemuan_imp", central_settings
    )
    assert isinstance(err, ContractBreak)
    assert "hadir_perempuan: renamed to 'hadir_wanita'" in err.reason
    assert len(stub_form(central_stub, "pertemuan_imp").published) == 1

    forced = publish(
        session_factory, central, "pertemuan_imp", central_settings, force_reason="renamed"
    )
    assert forced.forced_reason == "renamed"
    assert pubs(session_factory, "pertemuan_imp")[-1].forced_reason == "renamed"
    assert len(stub_form(central_stub, "pertemuan_imp").published) == 2


def test_xform_id__reads_the_primary_instance_id():
    xml = b"""<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml">
    <h:head><model><instance><data id="profil_imp" version="1"><a/></data></instance>
    <instance id="wilayah" src="jr://file-csv/wilayah.csv"/></model></h:head></h:html>"""
    assert xform_id(xml) == "profil_imp"


@pytest.mark.parametrize("missing", ["central_url", "central_email", "central_password"])
def test_missing_central_settings_are_named(missing, tmp_path):
    values = {
        "central_url": "http://127.0.0.1:9",
        "central_email": "a@example.org",
        "central_password": "pw",
    }
    s = make_settings(tmp_path, **{**values, missing: ""})
    (msg,) = missing_settings(s, "central")
    assert f"PANTAU_{missing.upper()}" in msg
